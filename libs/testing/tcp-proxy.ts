import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Rewrites a URL's host:port to go through the proxy. */
  via(url: string): string;
  /** Cuts every open connection and refuses new ones, like a service that went down. */
  down(): void;
  /** Accepts connections again. */
  up(): void;
  close(): Promise<void>;
}

/** A TCP relay in front of a real service, to simulate its outage and return in tests. */
export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port);
  const targetHost = target.hostname;
  const sockets = new Set<Socket>();
  let isDown = false;
  const server = createServer((client) => {
    // A reset socket emits ECONNRESET: every socket has an error listener, or the test process would throw.
    client.on('error', () => undefined);
    if (isDown) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: targetHost, port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    const cleanup = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', cleanup);
    upstream.on('error', cleanup);
    client.on('close', cleanup);
    upstream.on('close', cleanup);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    via(url: string) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    down() {
      isDown = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    up() {
      isDown = false;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
