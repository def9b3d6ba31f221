import { setTimeout as sleep } from 'node:timers/promises';
import PostalMime from 'postal-mime';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  raw: string;
}

export interface SmtpSink {
  /** smtp://127.0.0.1:<port>, to put in SMTP_URL. */
  url: string;
  messages: CapturedMail[];
  /** Recipients answered with a permanent 550 rejection (bounce tests). */
  rejectRecipients: Set<string>;
  /** The next `count` recipients are answered with a temporary 451 (greylisting, a full queue), then accepted. */
  deferNext(count: number): void;
  waitFor(predicate: (mail: CapturedMail) => boolean, timeoutMs?: number): Promise<CapturedMail>;
  waitForCount(count: number, timeoutMs?: number): Promise<CapturedMail[]>;
  close(): Promise<void>;
}

/** A real SMTP server on 127.0.0.1 that keeps what it receives, for tests. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: CapturedMail[] = [];
  const rejectRecipients = new Set<string>();
  let deferrals = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (deferrals > 0) {
        deferrals--;
        const error = new Error('4.7.1 Réessayez plus tard') as Error & { responseCode: number };
        error.responseCode = 451;
        return callback(error);
      }
      if (rejectRecipients.has(address.address.toLowerCase())) {
        const error = new Error('5.1.1 Destinataire inconnu') as Error & { responseCode: number };
        error.responseCode = 550;
        return callback(error);
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const parsed = await PostalMime.parse(raw);
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: parsed.subject ?? '',
          text: parsed.text ?? '',
          html: parsed.html ?? '',
          headers: Object.fromEntries(parsed.headers.map((h) => [h.key.toLowerCase(), h.value])),
          raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as { port: number };
  const waitForCount = async (count: number, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (messages.length < count) {
      if (Date.now() > deadline) throw new Error(`SMTP : ${messages.length} message(s) reçu(s), ${count} attendu(s)`);
      await sleep(20);
    }
    return messages;
  };
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    rejectRecipients,
    deferNext(count: number) {
      deferrals = count;
    },
    waitForCount,
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = messages.find(predicate);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error('SMTP : le message attendu n’est pas arrivé');
        await sleep(20);
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
