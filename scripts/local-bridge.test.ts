import { randomBytes } from "node:crypto";
import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";

import { Redis } from "@upstash/redis";
import { afterAll, describe, expect, it, vi } from "vitest";

import { ensureLocalBridge } from "./local-bridge";
import { startUpstashBridge, type UpstashBridge } from "./upstash-bridge";
import { freePort } from "../test/support/ports";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const newToken = () => randomBytes(18).toString("base64url");

const bridges: UpstashBridge[] = [];
const servers: Server[] = [];

afterAll(async () => {
  await Promise.all(bridges.map((bridge) => bridge.close()));
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

// ensureLocalBridge reports what it does on the console; keep test output quiet.
vi.spyOn(console, "log").mockImplementation(() => {});

function client(url: string, token: string) {
  return new Redis({ url, token, retry: false, enableTelemetry: false });
}

/** A plain HTTP server (not a bridge) that counts the requests it gets. */
async function startCountingServer(host: string) {
  let requests = 0;
  const server = createHttpServer((_req, res) => {
    requests++;
    res.writeHead(200, { "Content-Type": "text/html" }).end("<h1>some other app</h1>");
  });
  servers.push(server);
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, host, resolve));
  return { port: (server.address() as AddressInfo).port, requests: () => requests };
}

function nonLoopbackIPv4() {
  return Object.values(networkInterfaces())
    .flat()
    .find((address) => address && address.family === "IPv4" && !address.internal)?.address;
}

describe("ensureLocalBridge", () => {
  it("does nothing for a non-loopback URL: returns null without contacting or binding it", async () => {
    const address = nonLoopbackIPv4();
    if (address) {
      const other = await startCountingServer(address);
      const restUrl = `http://${address}:${other.port}`;
      await expect(ensureLocalBridge({ restUrl, token: newToken(), redisUrl: REDIS_URL })).resolves.toBeNull();
      expect(other.requests()).toBe(0);
    }
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    try {
      await expect(
        ensureLocalBridge({ restUrl: "https://eu1-example.upstash.io", token: newToken(), redisUrl: REDIS_URL }),
      ).resolves.toBeNull();
      expect(fetchSpy).not.toHaveBeenCalled();
    } finally {
      fetchSpy.mockRestore();
    }
  });

  it("starts a bridge on a free loopback port that answers @upstash/redis with the given token", async () => {
    const token = newToken();
    const restUrl = `http://127.0.0.1:${await freePort()}`;
    const bridge = await ensureLocalBridge({ restUrl, token, redisUrl: REDIS_URL });
    expect(bridge).not.toBeNull();
    bridges.push(bridge!);
    expect(bridge!.url).toBe(restUrl);

    expect(await client(restUrl, token).ping()).toBe("PONG");
    await expect(client(restUrl, "wrong-token").ping()).rejects.toThrow();
  });

  it("starts a bridge reachable at a localhost URL", async () => {
    const token = newToken();
    const restUrl = `http://localhost:${await freePort()}`;
    const bridge = await ensureLocalBridge({ restUrl, token, redisUrl: REDIS_URL });
    expect(bridge).not.toBeNull();
    bridges.push(bridge!);
    expect(await client(restUrl, token).ping()).toBe("PONG");
  });

  it("starts a bridge reachable at an IPv6 loopback URL (isLoopbackUrl accepts [::1])", async () => {
    const token = newToken();
    const restUrl = `http://[::1]:${await freePort("::1")}`;
    const bridge = await ensureLocalBridge({ restUrl, token, redisUrl: REDIS_URL });
    if (bridge) bridges.push(bridge);
    expect(bridge).not.toBeNull();
    expect(await client(restUrl, token).ping()).toBe("PONG");
  });

  it("reuses a bridge already running there with the same token (returns null) and leaves it working", async () => {
    const token = newToken();
    const existing = await startUpstashBridge({ port: 0, token, redisUrl: REDIS_URL });
    bridges.push(existing);

    await expect(ensureLocalBridge({ restUrl: existing.url, token, redisUrl: REDIS_URL })).resolves.toBeNull();
    expect(await client(existing.url, token).ping()).toBe("PONG");
  });

  it("throws, mentioning the token, when the bridge there refuses the token", async () => {
    const existing = await startUpstashBridge({ port: 0, token: newToken(), redisUrl: REDIS_URL });
    bridges.push(existing);
    const wrongToken = newToken();

    const error = await ensureLocalBridge({ restUrl: existing.url, token: wrongToken, redisUrl: REDIS_URL }).then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/token/i);
    expect((error as Error).message).not.toContain(wrongToken);
  });

  it("does not mistake another program on the port for a bridge", async () => {
    const other = await startCountingServer("127.0.0.1");
    const restUrl = `http://127.0.0.1:${other.port}`;
    // Neither reusing (null) nor starting is possible: the caller must hear that the port is taken by something else.
    await expect(ensureLocalBridge({ restUrl, token: newToken(), redisUrl: REDIS_URL })).rejects.toThrow();
  });
});
