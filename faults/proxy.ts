/**
 * A round-robin TCP proxy in front of several app instances (test-only): each new connection
 * goes to the next backend that accepts it, as a load balancer with health-by-connect would
 * send it. When a backend dies, its connections drop and clients reconnect through here.
 */
import { createServer, connect, type Socket } from "node:net";
import { once } from "node:events";

export type RoundRobinProxy = { url: string; close(): Promise<void>; connectionsTo: Map<number, number> };

export async function startRoundRobinProxy(backendPorts: number[]): Promise<RoundRobinProxy> {
  let next = 0;
  const sockets = new Set<Socket>();
  const connectionsTo = new Map(backendPorts.map((port) => [port, 0]));

  /** Tries each backend once, starting with the next in turn. */
  function connectBackend(attempt = 0): Promise<Socket> {
    if (attempt >= backendPorts.length) return Promise.reject(new Error("no backend accepts connections"));
    const port = backendPorts[next++ % backendPorts.length]!;
    return new Promise<Socket>((resolve, reject) => {
      const backend = connect(port, "127.0.0.1");
      backend.once("connect", () => {
        connectionsTo.set(port, (connectionsTo.get(port) ?? 0) + 1);
        resolve(backend);
      });
      backend.once("error", reject);
    }).catch(() => connectBackend(attempt + 1));
  }

  const server = createServer((client) => {
    sockets.add(client);
    client.pause();
    client.on("error", () => client.destroy());
    client.on("close", () => sockets.delete(client));
    connectBackend().then(
      (backend) => {
        sockets.add(backend);
        backend.on("error", () => client.destroy());
        backend.on("close", () => {
          sockets.delete(backend);
          client.destroy();
        });
        client.on("close", () => backend.destroy());
        client.pipe(backend);
        backend.pipe(client);
        client.resume();
      },
      () => client.destroy(),
    );
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    connectionsTo,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
}
