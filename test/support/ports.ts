import { once } from "node:events";
import { createServer } from "node:net";

/**
 * A port nothing listens on right now: for servers a test starts, and for "dead service"
 * addresses (fetch refuses port 1 and other "bad ports" before connecting, so tests use a real one).
 */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const server = createServer().listen(0, host);
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}
