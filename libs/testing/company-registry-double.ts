import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Stand-in for the national company search API (API Recherche d'entreprises, recherche-entreprises.api.gouv.fr),
 * which development and tests cannot rely on: a real HTTP server answering `GET /search?q=<siren|siret>&page=…&per_page=…`
 * in that API's JSON format (`results[]` with `siren`, `nom_complet`, `nom_raison_sociale`, `etat_administratif`,
 * `siege`, `matching_etablissements`, `dirigeants[]` with `type_dirigeant`, `nom`, `prenoms`, `annee_de_naissance`,
 * `qualite`; then `total_results`, `page`, `per_page`, `total_pages`), from a small table of fictitious companies.
 * It searches numbers only (the real API also searches names). A missing `q` is answered 400 like the real API.
 *
 * The leaders are the FranceConnect simulator's test identities (apps/franceconnect-simulator): Angela Claire Louise
 * Dubois, Pierre Mercier, Fatima Benali — so that a person signed in through the simulator is found as a leader.
 *
 * Switches: `failing` answers every request with that status; `hanging` never answers (timeouts); `requests` records
 * the `q` of each request.
 */
export interface RegistryLeader {
  type_dirigeant: 'personne physique' | 'personne morale';
  nom?: string;
  prenoms?: string;
  annee_de_naissance?: string;
  qualite: string;
  siren?: string;
  denomination?: string;
}

export interface RegistryCompany {
  siren: string;
  nom_complet: string;
  /** A (active) or C (ceased). */
  etat_administratif: 'A' | 'C';
  siege: { siret: string; etat_administratif: 'A' | 'F'; libelle_commune: string; code_postal: string };
  /** Other establishments (A active, F closed). */
  etablissements?: { siret: string; etat_administratif: 'A' | 'F'; libelle_commune: string; code_postal: string }[];
  dirigeants: RegistryLeader[];
}

/** The fictitious companies of the double (valid SIREN/SIRET keys). */
export const REGISTRY_COMPANIES: readonly RegistryCompany[] = [
  {
    siren: '882417512',
    nom_complet: 'BOULANGERIE DUBOIS',
    etat_administratif: 'A',
    siege: { siret: '88241751200010', etat_administratif: 'A', libelle_commune: 'Lyon 7e Arrondissement', code_postal: '69007' },
    dirigeants: [{ type_dirigeant: 'personne physique', nom: 'DUBOIS', prenoms: 'Angela Claire Louise', annee_de_naissance: '1962', qualite: 'Gérante' }],
  },
  {
    siren: '903124659',
    nom_complet: 'MERCIER TRANSPORTS (MT LOGISTIQUE)',
    etat_administratif: 'A',
    siege: { siret: '90312465900017', etat_administratif: 'A', libelle_commune: 'Vénissieux', code_postal: '69200' },
    etablissements: [{ siret: '90312465900025', etat_administratif: 'F', libelle_commune: 'Givors', code_postal: '69700' }],
    dirigeants: [
      { type_dirigeant: 'personne physique', nom: 'MERCIER', prenoms: 'Pierre', annee_de_naissance: '1990', qualite: 'Président de SAS' },
      { type_dirigeant: 'personne physique', nom: 'BENALI', prenoms: 'Fatima', annee_de_naissance: '1985', qualite: 'Directeur général' },
      { type_dirigeant: 'personne morale', siren: '799231873', denomination: 'AUDIT CONSEIL RHONE', qualite: 'Commissaire aux comptes titulaire' },
    ],
  },
  {
    siren: '814572269',
    nom_complet: 'ANCIENNE IMPRIMERIE BENALI',
    etat_administratif: 'C',
    siege: { siret: '81457226900011', etat_administratif: 'F', libelle_commune: 'Villeurbanne', code_postal: '69100' },
    dirigeants: [{ type_dirigeant: 'personne physique', nom: 'BENALI', prenoms: 'Fatima', annee_de_naissance: '1985', qualite: 'Gérante' }],
  },
  {
    siren: '799231873',
    nom_complet: 'AUDIT CONSEIL RHONE',
    etat_administratif: 'A',
    siege: { siret: '79923187300016', etat_administratif: 'A', libelle_commune: 'Lyon 3e Arrondissement', code_postal: '69003' },
    dirigeants: [{ type_dirigeant: 'personne physique', nom: 'MARTIN', prenoms: 'Camille', annee_de_naissance: '1980', qualite: 'Président' }],
  },
];

export interface CompanyRegistryDouble {
  /** http://<host>:<port>, to put in COMPANY_REGISTRY_URL. */
  url: string;
  /** The table answered from; tests may push or change entries. */
  companies: RegistryCompany[];
  /** The `q` of each request received, in order. */
  requests: string[];
  /** When set, every request is answered with this status. */
  failing: number | null;
  /** When true, requests are accepted and never answered. */
  hanging: boolean;
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function establishment(siren: string, e: RegistryCompany['siege'], siege: boolean) {
  return {
    siret: e.siret,
    etat_administratif: e.etat_administratif,
    est_siege: siege,
    code_postal: e.code_postal,
    libelle_commune: e.libelle_commune,
    commune: null,
    activite_principale: '10.71C',
    date_creation: '2019-05-02',
    nic: e.siret.slice(9),
    siren,
  };
}

function result(company: RegistryCompany, siret: string | null) {
  const all = [{ ...company.siege, siege: true }, ...(company.etablissements ?? []).map((e) => ({ ...e, siege: false }))];
  const matching = siret ? all.filter((e) => e.siret === siret) : all.filter((e) => e.etat_administratif === 'A');
  return {
    siren: company.siren,
    nom_complet: company.nom_complet,
    nom_raison_sociale: company.nom_complet.replace(/ \(.*\)$/, ''),
    sigle: null,
    nombre_etablissements: all.length,
    nombre_etablissements_ouverts: all.filter((e) => e.etat_administratif === 'A').length,
    etat_administratif: company.etat_administratif,
    nature_juridique: '5710',
    activite_principale: '10.71C',
    siege: establishment(company.siren, company.siege, true),
    matching_etablissements: matching.map((e) => establishment(company.siren, e, e.siege)),
    dirigeants: company.dirigeants.map((leader) =>
      leader.type_dirigeant === 'personne physique'
        ? { nom: leader.nom, prenoms: leader.prenoms, annee_de_naissance: leader.annee_de_naissance, date_de_naissance: `${leader.annee_de_naissance}-01`, qualite: leader.qualite, nationalite: 'Française', type_dirigeant: leader.type_dirigeant }
        : { siren: leader.siren, denomination: leader.denomination, qualite: leader.qualite, type_dirigeant: leader.type_dirigeant },
    ),
    finances: null,
    complements: { est_entrepreneur_individuel: false, est_ess: false },
  };
}

/** Starts the registry stand-in (default: a free port of 127.0.0.1). */
export async function startCompanyRegistryDouble(options: { port?: number; host?: string; companies?: readonly RegistryCompany[] } = {}): Promise<CompanyRegistryDouble> {
  const sockets = new Set<Socket>();
  const double: CompanyRegistryDouble = {
    url: '',
    companies: [...(options.companies ?? REGISTRY_COMPANIES)].map((company) => structuredClone(company)),
    requests: [],
    failing: null,
    hanging: false,
    close: async () => undefined,
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== '/search') return json(res, 404, { erreur: 'Route inconnue' });
    const q = (url.searchParams.get('q') ?? '').replace(/\s+/g, '');
    double.requests.push(q);
    if (double.hanging) return;
    if (double.failing) return json(res, double.failing, { erreur: 'Erreur simulée du service' });
    if (!q) return json(res, 400, { erreur: 'Veuillez indiquer au moins un terme de recherche ou un filtre.' });
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const perPage = Math.min(25, Math.max(1, Number(url.searchParams.get('per_page') ?? 10) || 10));
    const results = double.companies.flatMap((company) => {
      if (/^\d{9}$/.test(q) && company.siren === q) return [result(company, null)];
      if (/^\d{14}$/.test(q) && [company.siege, ...(company.etablissements ?? [])].some((e) => e.siret === q)) return [result(company, q)];
      return [];
    });
    json(res, 200, { results: results.slice((page - 1) * perPage, page * perPage), total_results: results.length, page, per_page: perPage, total_pages: Math.ceil(results.length / perPage) });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  double.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  double.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return double;
}
