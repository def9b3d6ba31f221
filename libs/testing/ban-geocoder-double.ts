import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Stand-in for the national address API (Base Adresse Nationale, api-adresse.data.gouv.fr), which tests
 * cannot reach: a real HTTP server on 127.0.0.1 answering `GET /search/?q=…&postcode=…&limit=…` in the
 * BAN's GeoJSON format, from a small table of known addresses. It is not a geocoder: it ranks the
 * table's entries by the share of their words found in `q` (accent- and case-insensitive), which is
 * enough to give routing realistic answers (Lyon's arrondissement citycodes, scores, types).
 *
 * Switches: `failNext(n, status)` answers the next n requests with an error status; `failing` answers
 * every request so; `hanging` accepts requests and never answers (timeouts); `requests` counts and
 * records every request received (cache tests).
 */
export interface BanAddress {
  label: string;
  /** INSEE code as the BAN gives it: Lyon's arrondissements are 69381…69389. */
  citycode: string;
  postcode: string;
  city: string;
  /** [longitude, latitude]. */
  coordinates: [number, number];
  type?: 'housenumber' | 'street' | 'locality' | 'municipality';
}

/** Known addresses of the metropolis (positions checked against the boundaries by routing's tests). */
export const BAN_KNOWN_ADDRESSES: readonly BanAddress[] = [
  { label: 'Place Bellecour 69002 Lyon', citycode: '69382', postcode: '69002', city: 'Lyon', coordinates: [4.832, 45.7578], type: 'street' },
  { label: '1 Place Camille Vallin 69700 Givors', citycode: '69091', postcode: '69700', city: 'Givors', coordinates: [4.7693, 45.5906] },
  { label: 'Place Lazare Goujon 69100 Villeurbanne', citycode: '69266', postcode: '69100', city: 'Villeurbanne', coordinates: [4.8799, 45.7665], type: 'street' },
  { label: '14 Avenue Franklin Roosevelt 69500 Bron', citycode: '69029', postcode: '69500', city: 'Bron', coordinates: [4.9105, 45.7385] },
  { label: '1 Place Ampère 69250 Neuville-sur-Saône', citycode: '69143', postcode: '69250', city: 'Neuville-sur-Saône', coordinates: [4.8418, 45.8762] },
  // Former Pierre-Bénite: in no commune of the 2018 boundaries, but the BAN knows its commune.
  { label: '2 Place Jean Jaurès 69310 Oullins-Pierre-Bénite', citycode: '69149', postcode: '69310', city: 'Oullins-Pierre-Bénite', coordinates: [4.8262, 45.7036] },
  // The same street name in two communes: without postcode, an ambiguous address.
  { label: 'Rue de la République 69002 Lyon', citycode: '69382', postcode: '69002', city: 'Lyon', coordinates: [4.8362, 45.7623], type: 'street' },
  { label: 'Rue de la République 69200 Vénissieux', citycode: '69259', postcode: '69200', city: 'Vénissieux', coordinates: [4.8876, 45.6975], type: 'street' },
  // Outside the metropolis (Rhône, Villefranche-sur-Saône).
  { label: "Place de l'Hôtel de Ville 69400 Villefranche-sur-Saône", citycode: '69264', postcode: '69400', city: 'Villefranche-sur-Saône', coordinates: [4.7186, 45.9893], type: 'street' },
];

export interface BanRequest {
  path: string;
  q: string | null;
  postcode: string | null;
  limit: number | null;
}

export interface BanGeocoderDouble {
  /** http://127.0.0.1:<port>, to put in GEOCODER_URL. */
  url: string;
  /** Every request received, in order (count them for cache tests). */
  requests: BanRequest[];
  /** The table answered from; tests may push entries. */
  addresses: BanAddress[];
  /** Answer the next `count` requests with `status` (default 500), then normally again. */
  failNext(count: number, status?: number): void;
  /** When set, every request is answered with this status. */
  failing: number | null;
  /** When true, requests are accepted and never answered. */
  hanging: boolean;
  /** Back to normal answers; the request log is emptied. */
  reset(): void;
  close(): Promise<void>;
}

const normalise = (text: string) =>
  text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();

function score(entry: BanAddress, q: string): number {
  const query = new Set(normalise(q).split(' '));
  const words = normalise(entry.label).split(' ');
  const found = words.filter((w) => query.has(w)).length;
  return Math.round((found / words.length) * 0.98 * 1e4) / 1e4;
}

function feature(entry: BanAddress, s: number) {
  const [lon, lat] = entry.coordinates;
  const type = entry.type ?? 'housenumber';
  const name = entry.label.replace(` ${entry.postcode} ${entry.city}`, '');
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [lon, lat] },
    properties: {
      label: entry.label,
      score: s,
      id: `${entry.citycode}_${normalise(name).replace(/ /g, '_')}`,
      name,
      postcode: entry.postcode,
      citycode: entry.citycode,
      x: 842000,
      y: 6519000,
      city: entry.city,
      context: '69, Rhône, Auvergne-Rhône-Alpes',
      type,
      importance: 0.6,
      ...(type === 'housenumber' ? { housenumber: name.split(' ')[0], street: name.split(' ').slice(1).join(' ') } : { street: name }),
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/** Starts the BAN stand-in on a free port of 127.0.0.1. */
export async function startBanGeocoderDouble(addresses: readonly BanAddress[] = BAN_KNOWN_ADDRESSES): Promise<BanGeocoderDouble> {
  const sockets = new Set<Socket>();
  let failures: { count: number; status: number } = { count: 0, status: 500 };
  const double: BanGeocoderDouble = {
    url: '',
    requests: [],
    addresses: [...addresses],
    failing: null,
    hanging: false,
    failNext(count, status = 500) {
      failures = { count, status };
    },
    reset() {
      failures = { count: 0, status: 500 };
      double.failing = null;
      double.hanging = false;
      double.requests.length = 0;
    },
    close: async () => undefined,
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const q = url.searchParams.get('q');
    const postcode = url.searchParams.get('postcode');
    const limit = url.searchParams.has('limit') ? Number(url.searchParams.get('limit')) : null;
    double.requests.push({ path: url.pathname, q, postcode, limit });

    if (double.hanging) return; // never answered; the socket is destroyed by close()
    if (failures.count > 0) {
      failures.count--;
      return json(res, failures.status, { code: failures.status, message: 'Erreur simulée' });
    }
    if (double.failing !== null) return json(res, double.failing, { code: double.failing, message: 'Erreur simulée' });
    if (req.method !== 'GET' || url.pathname !== '/search/') return json(res, 404, { code: 404, message: 'Not found' });
    if (!q || q.trim().length < 3 || q.length > 200 || !/^[a-z0-9]/i.test(normalise(q))) {
      return json(res, 400, { code: 400, message: 'q must contain between 3 and 200 chars and start with a number or a letter' });
    }
    const features = double.addresses
      .filter((entry) => !postcode || entry.postcode === postcode)
      .map((entry) => ({ entry, s: score(entry, q) }))
      .filter(({ s }) => s >= 0.3)
      .sort((a, b) => b.s - a.s)
      .slice(0, limit ?? 5)
      .map(({ entry, s }) => feature(entry, s));
    json(res, 200, {
      type: 'FeatureCollection',
      version: 'draft',
      features,
      attribution: 'BAN',
      licence: 'ETALAB-2.0',
      query: q,
      filters: postcode ? { postcode } : undefined,
      limit: limit ?? 5,
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  double.url = `http://127.0.0.1:${port}`;
  double.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return double;
}
