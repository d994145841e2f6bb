/** Upstash clients for "Redis cannot answer": one whose connections are refused, one whose server never answers. */
import { once } from "node:events";
import { createServer, type Socket } from "node:net";

import { Redis } from "@upstash/redis";

import { freePort } from "./ports";

const client = (port: number) => new Redis({ url: `http://127.0.0.1:${port}`, token: "t", retry: false, enableTelemetry: false });

/** A client of a port nothing listens on: every call fails at once. */
export async function unreachableRedis() {
  return client(await freePort());
}

/** Runs `use` with a client of a listener that accepts connections and never answers, then closes it. */
export async function withSilentRedis<T>(use: (redis: Redis) => Promise<T>): Promise<T> {
  const sockets: Socket[] = [];
  const silent = createServer((socket) => void sockets.push(socket)).listen(0, "127.0.0.1");
  await once(silent, "listening");
  try {
    return await use(client((silent.address() as { port: number }).port));
  } finally {
    for (const socket of sockets) socket.destroy();
    silent.close();
  }
}
