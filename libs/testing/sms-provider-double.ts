import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** A message the double accepted. */
export interface ReceivedSms {
  to: string;
  from: string;
  text: string;
  reference: string;
  idempotencyKey: string | null;
}

export interface SmsProviderDouble {
  /** http://127.0.0.1:<port>/v1/messages, to put in SMS_PROVIDER_URL. */
  url: string;
  /** The bearer token it expects (SMS_PROVIDER_TOKEN). */
  token: string;
  /** Every request received (accepted or not), in order. */
  requests: { status: number; idempotencyKey: string | null }[];
  /** Messages accepted, one per idempotency key (a repeated key is answered with the first message's id). */
  messages: ReceivedSms[];
  /** Answer the next `count` requests with `status` (default 503), then normally again. */
  failNext(count: number, status?: number): void;
  /** When set, every request is answered with this status. */
  failing: number | null;
  /** When true, requests are accepted and never answered (timeouts). */
  hanging: boolean;
  waitForCount(count: number, timeoutMs?: number): Promise<ReceivedSms[]>;
  reset(): void;
  close(): Promise<void>;
}

const E164 = /^\+[1-9]\d{7,14}$/;

/**
 * Stand-in for an SMS provider speaking the platform's HTTP format (docs/worker.md): `POST /v1/messages` with
 * `Authorization: Bearer <token>`, `Idempotency-Key` and a JSON body `{ to, from, text, reference }`; answers 202
 * `{ id, status: "accepted" }`, 401 without the token, 400 for a malformed body or number, and whatever
 * `failNext`/`failing` say. A real HTTP server on 127.0.0.1, like `startBanGeocoderDouble`.
 */
export async function startSmsProviderDouble(token = 'jeton-fournisseur-sms-de-test'): Promise<SmsProviderDouble> {
  const sockets = new Set<Socket>();
  const byKey = new Map<string, string>();
  let failures = { count: 0, status: 503 };
  let sequence = 0;
  const double: SmsProviderDouble = {
    url: '',
    token,
    requests: [],
    messages: [],
    failing: null,
    hanging: false,
    failNext(count, status = 503) {
      failures = { count, status };
    },
    async waitForCount(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (double.messages.length < count) {
        if (Date.now() > deadline) throw new Error(`SMS : ${double.messages.length} message(s) reçu(s), ${count} attendu(s)`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return double.messages;
    },
    reset() {
      failures = { count: 0, status: 503 };
      double.failing = null;
      double.hanging = false;
      double.requests.length = 0;
    },
    close: async () => undefined,
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const idempotencyKey = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : null;
      const answer = (status: number, body: unknown) => {
        double.requests.push({ status, idempotencyKey });
        json(res, status, body);
      };
      if (double.hanging) return;
      if (failures.count > 0) {
        failures.count--;
        return answer(failures.status, { error: 'Erreur simulée' });
      }
      if (double.failing !== null) return answer(double.failing, { error: 'Erreur simulée' });
      if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://127.0.0.1').pathname !== '/v1/messages') return answer(404, { error: 'not_found' });
      if (req.headers.authorization !== `Bearer ${token}`) return answer(401, { error: 'unauthorized' });
      let body: Partial<ReceivedSms>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Partial<ReceivedSms>;
      } catch {
        return answer(400, { error: 'invalid_json' });
      }
      if (typeof body.to !== 'string' || !E164.test(body.to) || typeof body.text !== 'string' || !body.text || typeof body.from !== 'string') {
        return answer(400, { error: 'invalid_message' });
      }
      const known = idempotencyKey ? byKey.get(idempotencyKey) : undefined;
      if (known) return answer(202, { id: known, status: 'accepted' });
      const id = `sms-${++sequence}`;
      if (idempotencyKey) byKey.set(idempotencyKey, id);
      double.messages.push({ to: body.to, from: body.from, text: body.text, reference: String(body.reference ?? ''), idempotencyKey });
      answer(202, { id, status: 'accepted' });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  double.url = `http://127.0.0.1:${port}/v1/messages`;
  double.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return double;
}
