import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DataSource, In } from 'typeorm';
import {
  AdministrationData,
  ConsentService,
  DATA_HOLDERS,
  FranceConnectAccounts,
  TELL_US_ONCE_SCOPES,
  type AdministrationDataKind,
  type Lookup,
  type QuotientFamilial,
  type SocialRight,
} from '#accounts';
import { Collectivity } from '#territory';
import { AccountSession } from './account-session.js';
import { noStore } from './form-view.js';

const KIND_LABELS: Record<AdministrationDataKind, string> = {
  quotient_familial: 'Quotient familial',
  complementaire_sante_solidaire: 'Complémentaire santé solidaire (C2S)',
  revenu_solidarite_active: 'Revenu de solidarité active (RSA)',
};

/** The scope releasing each kind. */
const SCOPE_OF_KIND = Object.fromEntries(
  Object.entries(TELL_US_ONCE_SCOPES).flatMap(([scope, kinds]) => kinds.map((kind) => [kind, scope])),
) as Record<AdministrationDataKind, string>;

const dateFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' });
const dateTimeFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Paris' });
const monthFormat = new Intl.DateTimeFormat('fr-FR', { month: 'long', year: 'numeric', timeZone: 'UTC' });

function qfText(value: QuotientFamilial): string {
  const [year, month] = value.mois.split('-').map(Number);
  return `${value.valeur} € (calculé par la ${value.source}, pour ${monthFormat.format(new Date(Date.UTC(year!, month! - 1, 1)))})`;
}

function rightText(kind: AdministrationDataKind, value: SocialRight): string {
  if (!value.beneficiaire) return 'Vous n’en bénéficiez pas actuellement.';
  const since = value.depuis ? ` depuis le ${dateFormat.format(new Date(`${value.depuis}T12:00:00Z`))}` : '';
  const option =
    value.option === null ? '' : kind === 'complementaire_sante_solidaire' ? (value.option ? ', avec participation financière' : ', sans participation financière') : value.option ? ', avec majoration' : '';
  return `Vous en bénéficiez${since}${option}.`;
}

function describe(kind: AdministrationDataKind, lookup: Lookup<QuotientFamilial | SocialRight>) {
  if (lookup.status === 'found') {
    return {
      found: true,
      text: kind === 'quotient_familial' ? qfText(lookup.value as QuotientFamilial) : rightText(kind, lookup.value as SocialRight),
      retrievedAt: dateTimeFormat.format(lookup.retrievedAt),
      retrievedAtIso: lookup.retrievedAt.toISOString(),
    };
  }
  if (lookup.status === 'not_found') return { found: false, text: 'Aucun dossier à votre nom n’a été trouvé.' };
  return { found: false, unavailable: true, text: 'Le service de l’administration ne répond pas pour le moment : réessayez plus tard.' };
}

/**
 * « Mes justificatifs partagés » (/compte/justificatifs): what the administration holds for the signed-in person
 * (asked live of API Particulier with the identity certified by FranceConnect; nothing is stored), and which
 * connected services receive it with the person's consent (withdrawn on « Services connectés »).
 */
@Controller('compte')
export class TellUsOnceController {
  constructor(
    private readonly sessions: AccountSession,
    private readonly administration: AdministrationData,
    private readonly fcAccounts: FranceConnectAccounts,
    private readonly consents: ConsentService,
    private readonly dataSource: DataSource,
  ) {}

  @Get('justificatifs')
  async show(@Req() req: Request, @Res() res: Response) {
    const current = await this.sessions.requireSignedIn(req, res);
    if (!current) return;
    const { account } = current;
    const overview = await this.administration.overview(account, await this.fcAccounts.findLinkOfAccount(account.id));

    const consents = (await this.consents.listActive(account.id)).filter((consent) => consent.scopes.some((scope) => scope in TELL_US_ONCE_SCOPES));
    const collectivityIds = [...new Set(consents.flatMap((consent) => (consent.collectivityId ? [consent.collectivityId] : [])))];
    const collectivities = collectivityIds.length ? await this.dataSource.getRepository(Collectivity).findBy({ id: In(collectivityIds) }) : [];
    const nameOf = new Map(collectivities.map((collectivity) => [collectivity.id, collectivity.name]));
    const receivers = (kind: AdministrationDataKind) =>
      consents
        .filter((consent) => consent.scopes.includes(SCOPE_OF_KIND[kind]))
        .map((consent) => ({ clientName: consent.clientName, collectivity: consent.collectivityId ? (nameOf.get(consent.collectivityId) ?? null) : null }));

    const kinds: AdministrationDataKind[] = ['quotient_familial', 'complementaire_sante_solidaire', 'revenu_solidarite_active'];
    noStore(res)
      .status(200)
      .render('account-justificatifs', {
        pageTitle: 'Mes justificatifs partagés',
        disabled: overview.status === 'disabled',
        notCertified: overview.status === 'not_certified',
        items: kinds.map((kind) => ({
          id: kind.replace(/_/g, '-'),
          label: KIND_LABELS[kind],
          holder: DATA_HOLDERS[kind],
          ...(overview.status === 'certified' ? describe(kind, overview.lookups[kind]) : {}),
          receivers: receivers(kind),
        })),
      });
  }
}
