import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** What the double knows of one person, matched on the identity FranceConnect certifies. */
export interface ApiParticulierPerson {
  /** Birth name, upper case (API Particulier's `nomNaissance`). */
  nomNaissance: string;
  /** Given names, upper case, in order (`prenoms[]`). */
  prenoms: string[];
  /** `YYYY-MM-DD`. */
  dateNaissance: string;
  sexe: 'F' | 'M';
  /** INSEE code of the birth commune; empty when born abroad. */
  communeNaissance: string;
  paysNaissance: string;
  /** `null`: no file at the CAF/MSA (404). */
  quotientFamilial: { fournisseur: 'CNAF' | 'MSA'; valeur: number; annee: number; mois: number } | null;
  /** `null`: no file (404). */
  complementaireSanteSolidaire: { est_beneficiaire: boolean; avec_participation: boolean | null; date_debut_droit: string | null } | null;
  revenuSolidariteActive: { est_beneficiaire: boolean; avec_majoration: boolean | null; date_debut_droit: string | null } | null;
}

/**
 * The FranceConnect simulator's test identities (apps/franceconnect-simulator) as API Particulier would know them:
 * - Angela Claire Louise Dubois: family quotient 4270 (CAF, June 2023, as in API Particulier's own staging data), no C2S file, no RSA;
 * - Pierre Mercier: family quotient 350 (CAF), C2S without participation since 2025-03-01, RSA since 2025-01-01;
 * - Fatima Benali: family quotient 620 (MSA), C2S with participation since 2024-10-01, RSA file but not a beneficiary;
 * - Lucas Schmidt (born abroad): no file anywhere (404).
 */
export const API_PARTICULIER_PEOPLE: readonly ApiParticulierPerson[] = [
  {
    nomNaissance: 'DUBOIS',
    prenoms: ['ANGELA', 'CLAIRE', 'LOUISE'],
    dateNaissance: '1962-08-24',
    sexe: 'F',
    communeNaissance: '75107',
    paysNaissance: '99100',
    quotientFamilial: { fournisseur: 'CNAF', valeur: 4270, annee: 2023, mois: 6 },
    complementaireSanteSolidaire: null,
    revenuSolidariteActive: { est_beneficiaire: false, avec_majoration: null, date_debut_droit: null },
  },
  {
    nomNaissance: 'MERCIER',
    prenoms: ['PIERRE'],
    dateNaissance: '1990-03-12',
    sexe: 'M',
    communeNaissance: '69123',
    paysNaissance: '99100',
    quotientFamilial: { fournisseur: 'CNAF', valeur: 350, annee: 2026, mois: 10 },
    complementaireSanteSolidaire: { est_beneficiaire: true, avec_participation: false, date_debut_droit: '2025-03-01' },
    revenuSolidariteActive: { est_beneficiaire: true, avec_majoration: false, date_debut_droit: '2025-01-01' },
  },
  {
    nomNaissance: 'BENALI',
    prenoms: ['FATIMA'],
    dateNaissance: '1985-11-02',
    sexe: 'F',
    communeNaissance: '69259',
    paysNaissance: '99100',
    quotientFamilial: { fournisseur: 'MSA', valeur: 620, annee: 2026, mois: 9 },
    complementaireSanteSolidaire: { est_beneficiaire: true, avec_participation: true, date_debut_droit: '2024-10-01' },
    revenuSolidariteActive: { est_beneficiaire: false, avec_majoration: null, date_debut_droit: null },
  },
  {
    nomNaissance: 'SCHMIDT',
    prenoms: ['LUCAS'],
    dateNaissance: '1978-06-30',
    sexe: 'M',
    communeNaissance: '',
    paysNaissance: '99109',
    quotientFamilial: null,
    complementaireSanteSolidaire: null,
    revenuSolidariteActive: null,
  },
];

/** One request the double received (the path and answer; the identity asked about is not kept). */
export interface ApiParticulierRequest {
  path: string;
  status: number;
  recipient: string | null;
}

export interface ApiParticulierDouble {
  /** Base URL (http://127.0.0.1:<port>), to put in API_PARTICULIER_URL. */
  url: string;
  /** The token it expects (API_PARTICULIER_TOKEN), as `Authorization: Bearer` or `X-Api-Key`. */
  token: string;
  requests: ApiParticulierRequest[];
  /** When set, every request is answered with this status (e.g. 503, 502) and API Particulier's error body. */
  failing: number | null;
  /** When true, requests are accepted and never answered (timeouts). */
  hanging: boolean;
  reset(): void;
  close(): Promise<void>;
}

type Answer = { status: number; body: unknown };

const error = (status: number, code: string, title: string, detail: string, provider?: string): Answer => ({
  status,
  body: { errors: [{ code, title, detail, source: null, meta: provider ? { provider } : {} }] },
});

function validationError(parameter: string, detail: string): Answer {
  return { status: 400, body: { errors: [{ code: '00201', title: 'Entité non traitable', detail, source: { parameter }, meta: {} }] } };
}

/** Reads API Particulier's « identité » parameters; an Answer (400) when one is missing or malformed. */
function identityOf(query: URLSearchParams): Omit<ApiParticulierPerson, 'quotientFamilial' | 'complementaireSanteSolidaire' | 'revenuSolidariteActive'> | Answer {
  const recipient = query.get('recipient');
  if (!recipient || !/^\d{14}$/.test(recipient)) return validationError('recipient', 'Le paramètre recipient doit être un numéro SIRET (14 chiffres).');
  const nom = query.get('nomNaissance')?.trim();
  if (!nom) return validationError('nomNaissance', 'Le nom de naissance est obligatoire.');
  const prenoms = query.getAll('prenoms[]').map((p) => p.trim()).filter(Boolean);
  if (!prenoms.length) return validationError('prenoms', 'Au moins un prénom est obligatoire.');
  const year = Number(query.get('anneeDateNaissance'));
  const month = Number(query.get('moisDateNaissance'));
  const day = Number(query.get('jourDateNaissance'));
  if (!Number.isInteger(year) || year < 1900 || !Number.isInteger(month) || month < 1 || month > 12 || !Number.isInteger(day) || day < 1 || day > 31) {
    return validationError('anneeDateNaissance', 'La date de naissance est invalide.');
  }
  const sexe = query.get('sexeEtatCivil');
  if (sexe !== 'F' && sexe !== 'M') return validationError('sexeEtatCivil', 'Le sexe doit être F ou M.');
  const pays = query.get('codeCogInseePaysNaissance') ?? '';
  if (!/^99\d{3}$/.test(pays)) return validationError('codeCogInseePaysNaissance', 'Le code COG du pays de naissance est invalide.');
  const commune = query.get('codeCogInseeCommuneNaissance') ?? '';
  if (pays === '99100' && !/^\d[\dAB]\d{3}$/.test(commune)) return validationError('codeCogInseeCommuneNaissance', 'Le code COG de la commune de naissance est obligatoire pour une naissance en France.');
  const date = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  return { nomNaissance: nom.toUpperCase(), prenoms: prenoms.map((p) => p.toUpperCase()), dateNaissance: date, sexe, communeNaissance: commune, paysNaissance: pays };
}

function answer(path: string, query: URLSearchParams, people: readonly ApiParticulierPerson[]): Answer {
  const asked = identityOf(query);
  if ('status' in asked) return asked;
  const person = people.find(
    (p) =>
      p.nomNaissance === asked.nomNaissance &&
      p.prenoms.join(' ') === asked.prenoms.join(' ') &&
      p.dateNaissance === asked.dateNaissance &&
      p.sexe === asked.sexe &&
      p.paysNaissance === asked.paysNaissance &&
      p.communeNaissance === asked.communeNaissance,
  );
  const notFound = error(404, '37003', 'Dossier allocataire absent', 'Le dossier allocataire n’a pas été trouvé auprès de la CNAF ni de la MSA.', 'CNAF & MSA');
  if (path === '/v3/dss/quotient_familial/identite') {
    const qf = person?.quotientFamilial;
    if (!person || !qf) return notFound;
    return {
      status: 200,
      body: {
        data: {
          quotient_familial: { ...qf, annee_calcul: qf.annee, mois_calcul: qf.mois },
          allocataires: [{ nom_naissance: person.nomNaissance, nom_usage: null, prenoms: person.prenoms.join(' '), date_naissance: person.dateNaissance, sexe: person.sexe }],
          enfants: [],
          adresse: null,
        },
        links: {},
        meta: {},
      },
    };
  }
  if (path === '/v3/dss/complementaire_sante_solidaire/identite') {
    const c2s = person?.complementaireSanteSolidaire;
    return person && c2s ? { status: 200, body: { data: c2s, links: {}, meta: {} } } : notFound;
  }
  if (path === '/v3/dss/revenu_solidarite_active/identite') {
    const rsa = person?.revenuSolidariteActive;
    return person && rsa ? { status: 200, body: { data: rsa, links: {}, meta: {} } } : notFound;
  }
  return error(404, '00404', 'Page non trouvée', 'Cette adresse n’existe pas.');
}

/**
 * Stand-in for API Particulier (particulier.api.gouv.fr, v3 « identité » endpoints), an external system we
 * cannot reach in development and tests: `GET /v3/dss/quotient_familial/identite`,
 * `/v3/dss/complementaire_sante_solidaire/identite` and `/v3/dss/revenu_solidarite_active/identite`, with the
 * token as `Authorization: Bearer` (or `X-Api-Key`), `recipient` (SIRET) and the pivot identity as query
 * parameters; JSON answers with API Particulier's shapes (`{ data, links, meta }`, errors `{ errors: [...] }`):
 * 200, 404 (no file), 400 (bad parameter), 401 (token), and `failing`/`hanging` for outages. A real HTTP server.
 * Not API Particulier; it knows only API_PARTICULIER_PEOPLE.
 */
export async function startApiParticulierDouble(
  options: { token?: string; port?: number; host?: string; people?: readonly ApiParticulierPerson[] } = {},
): Promise<ApiParticulierDouble> {
  const token = options.token ?? 'jeton-api-particulier-de-test';
  const people = options.people ?? API_PARTICULIER_PEOPLE;
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const double: ApiParticulierDouble = {
    url: '',
    token,
    requests: [],
    failing: null,
    hanging: false,
    reset() {
      double.failing = null;
      double.hanging = false;
      double.requests.length = 0;
    },
    close: async () => undefined,
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = ({ status, body }: Answer) => {
      double.requests.push({ path: url.pathname, status, recipient: url.searchParams.get('recipient') });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    req.resume();
    if (double.hanging) return;
    if (double.failing !== null) {
      return send(error(double.failing, '37999', 'Erreur du fournisseur de données', 'La réponse retournée par le fournisseur de données est invalide et inconnue de notre service.', 'CNAF & MSA'));
    }
    if (req.method !== 'GET') return send(error(405, '00405', 'Méthode non autorisée', 'Seule la méthode GET est acceptée.'));
    const presented = req.headers.authorization?.replace(/^Bearer\s+/i, '') ?? req.headers['x-api-key'];
    if (presented !== token) return send(error(401, '00101', 'Interdit', 'Votre jeton est invalide ou absent.'));
    send(answer(url.pathname, url.searchParams, people));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  double.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  double.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return double;
}
