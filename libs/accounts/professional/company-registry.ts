import type { Provider } from '@nestjs/common';
import type { Logger } from 'pino';
import { z } from 'zod';
import { APP_CONFIG, DomainError, LOGGER, type AppConfig } from '#core';
import type { CompanyNumber } from './company-number.js';
import type { LeaderIdentity } from './leader-match.js';
import { ProfessionalErrors, REGISTRY_UNAVAILABLE_MESSAGE } from './professional.errors.js';

/** A leader (dirigeant) who is a natural person, as the registry lists them. */
export interface CompanyLeader extends LeaderIdentity {
  /** Position, e.g. « Président », « Gérant ». */
  role: string;
}

/** A company as verified in the registry. */
export interface Company {
  siren: string;
  /** The establishment entered (SIRET), or the head office's. */
  siret: string | null;
  denomination: string;
  /** The legal unit is active (`etat_administratif` A) and, when a SIRET was entered, so is that establishment. */
  active: boolean;
  /** Leaders who are natural persons (legal-person leaders cannot sign in). */
  leaders: CompanyLeader[];
}

/** The fields of the API Recherche d'entreprises answer that we use; anything else is ignored. */
const leaderSchema = z.object({
  type_dirigeant: z.string().optional(),
  nom: z.string().nullish(),
  prenoms: z.string().nullish(),
  annee_de_naissance: z.union([z.string(), z.number()]).nullish(),
  qualite: z.string().nullish(),
});
const establishmentSchema = z.object({ siret: z.string(), etat_administratif: z.string().nullish() });
const resultSchema = z.object({
  siren: z.string(),
  nom_complet: z.string().nullish(),
  nom_raison_sociale: z.string().nullish(),
  etat_administratif: z.string().nullish(),
  siege: establishmentSchema.nullish(),
  matching_etablissements: z.array(establishmentSchema).nullish(),
  dirigeants: z.array(leaderSchema).nullish(),
});
const answerSchema = z.object({ results: z.array(z.unknown()) });

export interface CompanyRegistryOptions {
  /** Origin of the API (COMPANY_REGISTRY_URL), e.g. https://recherche-entreprises.api.gouv.fr; `/search` is appended. */
  url: string;
  /** Deadline of one request, body included. */
  timeoutMs: number;
  fetch?: typeof fetch;
}

/**
 * The company registry, read through the national **API Recherche d'entreprises** (recherche-entreprises.api.gouv.fr,
 * open data of INSEE's Sirene and INPI's RNE), or any service speaking its format: `GET /search?q=<siren or siret>`
 * answering `{ results: [{ siren, nom_complet, etat_administratif, siege: { siret, etat_administratif },
 * matching_etablissements: [{ siret, etat_administratif }], dirigeants: [{ type_dirigeant, nom, prenoms,
 * annee_de_naissance, qualite }] }] }`.
 *
 * A full-text search: the answer is filtered to the result whose `siren` is the one asked. A timeout, a network
 * error, a 429 (rate limit) or a 5xx becomes `PRO_REGISTRY_UNAVAILABLE` (503, French message); a malformed answer
 * too. Logs carry the status and duration, never the number searched (a sole trader's SIREN identifies a person).
 */
export class CompanyRegistry {
  private readonly searchUrl: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(
    options: CompanyRegistryOptions,
    private readonly logger?: Logger,
  ) {
    this.searchUrl = `${options.url.replace(/\/+$/, '')}/search`;
    this.timeoutMs = options.timeoutMs;
    this.fetchFn = options.fetch ?? fetch;
  }

  /** The company of this SIREN/SIRET, or null when the registry does not know it (or not that establishment). */
  async find(number: CompanyNumber): Promise<Company | null> {
    const url = `${this.searchUrl}?${new URLSearchParams({ q: number.siret ?? number.siren, page: '1', per_page: '5' })}`;
    const started = performance.now();
    let response: Response;
    let body: unknown;
    try {
      response = await this.fetchFn(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.timeoutMs) });
      body = response.ok ? await response.json() : undefined;
    } catch (error) {
      this.logger?.warn({ err: error, ms: Math.round(performance.now() - started) }, 'Répertoire des entreprises injoignable');
      throw DomainError.unavailable(ProfessionalErrors.REGISTRY_UNAVAILABLE, REGISTRY_UNAVAILABLE_MESSAGE, error);
    }
    const ms = Math.round(performance.now() - started);
    if (!response.ok) {
      this.logger?.warn({ status: response.status, ms }, 'Répertoire des entreprises : réponse en erreur');
      throw DomainError.unavailable(ProfessionalErrors.REGISTRY_UNAVAILABLE, REGISTRY_UNAVAILABLE_MESSAGE);
    }
    const answer = answerSchema.safeParse(body);
    if (!answer.success) {
      this.logger?.warn({ status: response.status, ms }, 'Répertoire des entreprises : réponse illisible');
      throw DomainError.unavailable(ProfessionalErrors.REGISTRY_UNAVAILABLE, REGISTRY_UNAVAILABLE_MESSAGE);
    }
    this.logger?.debug({ status: response.status, ms, results: answer.data.results.length }, 'Répertoire des entreprises interrogé');
    for (const item of answer.data.results) {
      const parsed = resultSchema.safeParse(item);
      if (!parsed.success || parsed.data.siren !== number.siren) continue;
      return toCompany(parsed.data, number);
    }
    return null;
  }
}

function toCompany(result: z.infer<typeof resultSchema>, number: CompanyNumber): Company | null {
  const unitActive = result.etat_administratif === 'A';
  let siret = result.siege?.siret ?? null;
  let establishmentActive = true;
  if (number.siret) {
    const establishment = [result.siege, ...(result.matching_etablissements ?? [])].find((candidate) => candidate?.siret === number.siret);
    if (!establishment) return null;
    siret = establishment.siret;
    establishmentActive = establishment.etat_administratif !== 'F';
  }
  const leaders: CompanyLeader[] = (result.dirigeants ?? [])
    .filter((leader) => (leader.type_dirigeant ?? 'personne physique') === 'personne physique' && leader.nom)
    .map((leader) => {
      const year = leader.annee_de_naissance === null || leader.annee_de_naissance === undefined ? NaN : Number(leader.annee_de_naissance);
      return {
        familyName: leader.nom!,
        givenNames: leader.prenoms ?? '',
        birthYear: Number.isInteger(year) ? year : null,
        role: leader.qualite ?? 'Dirigeant',
      };
    });
  return {
    siren: result.siren,
    siret,
    denomination: result.nom_complet || result.nom_raison_sociale || result.siren,
    active: unitActive && establishmentActive,
    leaders,
  };
}

/** Nest provider: the registry configured by COMPANY_REGISTRY_URL and COMPANY_REGISTRY_TIMEOUT_MS (validated at boot). */
export const COMPANY_REGISTRY_PROVIDER: Provider = {
  provide: CompanyRegistry,
  useFactory: (config: AppConfig, logger?: Logger) => new CompanyRegistry(config.companyRegistry, logger),
  inject: [APP_CONFIG, { token: LOGGER, optional: true }],
};
