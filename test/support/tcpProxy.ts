// A TCP proxy the test controls, between the app and a shared service (PostgreSQL, Redis): `cut()` drops
// every connection through it and refuses new ones, as a service that went away would; `stall()` keeps the
// connections but lets no byte through, as a service that hangs (or a network that drops packets) would;
// `restore()` lets everything through again. The shared services themselves are never stopped.
import { once } from 'node:events';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

export type TcpProxy = {
  /** the port the proxy listens on (127.0.0.1) */
  readonly port: number;
  /** `serviceUrl` with its host and port replaced by the proxy's */
  urlFor(serviceUrl: string): string;
  /** closes every connection through the proxy and refuses new ones (ECONNREFUSED) */
  cut(): Promise<void>;
  /** holds every byte in both directions, on open connections and new ones, until restore() */
  stall(): void;
  /** accepts and forwards connections again, on the same port */
  restore(): Promise<void>;
  close(): Promise<void>;
};

type Pair = { client: Socket; upstream: Socket };

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let stalled = false;
  let server = await listen(0);
  const port = (server.address() as { port: number }).port;

  const flow = ({ client, upstream }: Pair) => {
    client.pipe(upstream);
    upstream.pipe(client);
  };
  const hold = ({ client, upstream }: Pair) => {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  };

  function forward(client: Socket) {
    const pair = { client, upstream: tcpConnect(target.port, target.host) };
    pairs.add(pair);
    for (const socket of [pair.client, pair.upstream]) {
      // a reset on one side ends the other: the app sees what it would see from a dying service
      socket.on('error', () => {});
      socket.on('close', () => {
        pairs.delete(pair);
        pair.client.destroy();
        pair.upstream.destroy();
      });
    }
    if (stalled) hold(pair);
    else flow(pair);
  }

  async function listen(onPort: number): Promise<Server> {
    const listening = createServer(forward);
    listening.listen(onPort, '127.0.0.1');
    await once(listening, 'listening');
    return listening;
  }

  async function stopListening() {
    if (!server.listening) return;
    const closed = once(server, 'close');
    server.close();
    for (const { client } of pairs) client.destroy();
    await closed;
  }

  return {
    port,
    urlFor(serviceUrl) {
      const url = new URL(serviceUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    cut: stopListening,
    stall() {
      stalled = true;
      for (const pair of pairs) hold(pair);
    },
    async restore() {
      if (stalled) {
        stalled = false;
        for (const pair of pairs) flow(pair);
      }
      if (!server.listening) server = await listen(port);
    },
    close: stopListening,
  };
}
