import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";

import { Redis } from "@upstash/redis";
import { afterAll, describe, expect, it, vi } from "vitest";

import { ensureLocalBridge } from "./local-bridge";
import { startUpstashBridge, type UpstashBridge } from "./upstash-bridge";
import { freePort } from "../test/support/ports";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const newToken = () => randomBytes(18).toString("base64url");

const bridges: UpstashBridge[] = [];
const servers: Server[] = [];
const tokenDirs: string[] = [];

afterAll(async () => {
  await Promise.all(bridges.map((bridge) => bridge.close()));
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  for (const dir of tokenDirs) rmSync(dir, { recursive: true, force: true });
});

/** A .local/ of the test's own, so no test reads or replaces the project's saved tokens. */
function newTokenDir() {
  const dir = mkdtempSync(path.join(tmpdir(), "bridge-token-"));
  tokenDirs.push(dir);
  return path.join(dir, ".local");
}

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
    const local = await ensureLocalBridge({ restUrl, token, redisUrl: REDIS_URL });
    expect(local?.bridge).toBeTruthy();
    bridges.push(local!.bridge!);
    expect(local!.bridge!.url).toBe(restUrl);
    expect(local!.token).toBe(token);

    expect(await client(restUrl, token).ping()).toBe("PONG");
    await expect(client(restUrl, "wrong-token").ping()).rejects.toThrow();
  });

  it("starts a bridge reachable at a localhost URL", async () => {
    const token = newToken();
    const restUrl = `http://localhost:${await freePort()}`;
    const local = await ensureLocalBridge({ restUrl, token, redisUrl: REDIS_URL });
    expect(local?.bridge).toBeTruthy();
    bridges.push(local!.bridge!);
    expect(await client(restUrl, token).ping()).toBe("PONG");
  });

  it("starts a bridge reachable at an IPv6 loopback URL (isLoopbackUrl accepts [::1])", async () => {
    const token = newToken();
    const restUrl = `http://[::1]:${await freePort("::1")}`;
    const local = await ensureLocalBridge({ restUrl, token, redisUrl: REDIS_URL });
    if (local?.bridge) bridges.push(local.bridge);
    expect(local?.bridge).toBeTruthy();
    expect(await client(restUrl, token).ping()).toBe("PONG");
  });

  it("reuses a bridge already running there with the same token (starts none) and leaves it working", async () => {
    const token = newToken();
    const existing = await startUpstashBridge({ port: 0, token, redisUrl: REDIS_URL });
    bridges.push(existing);

    await expect(ensureLocalBridge({ restUrl: existing.url, token, redisUrl: REDIS_URL })).resolves.toEqual({ bridge: null, token });
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

describe("the local bridge's token when UPSTASH_REDIS_REST_TOKEN is not set", () => {
  const saved = (dir: string, port: number) => readFileSync(path.join(dir, `bridge-token-${port}`), "utf8");
  const mode = (dir: string, port: number) => statSync(path.join(dir, `bridge-token-${port}`)).mode & 0o777;

  it("is random for each bridge started, saved (mode 0600) in .local/bridge-token-<port>, and never the old fixed one", async () => {
    const tokenDir = newTokenDir();
    const port = await freePort();
    const restUrl = `http://127.0.0.1:${port}`;

    const first = await ensureLocalBridge({ restUrl, redisUrl: REDIS_URL, tokenDir });
    bridges.push(first!.bridge!);
    expect(first!.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(saved(tokenDir, port)).toBe(first!.token);
    expect(mode(tokenDir, port)).toBe(0o600);
    expect(await client(restUrl, first!.token).ping()).toBe("PONG");
    await expect(client(restUrl, "local-dev-token").ping()).rejects.toThrow(/Unauthorized/);

    // The next run (the bridge gone) gets a new token, replacing the saved one.
    await first!.bridge!.close();
    const second = await ensureLocalBridge({ restUrl, redisUrl: REDIS_URL, tokenDir });
    bridges.push(second!.bridge!);
    expect(second!.token).not.toBe(first!.token);
    expect(saved(tokenDir, port)).toBe(second!.token);
    await expect(client(restUrl, first!.token).ping()).rejects.toThrow(/Unauthorized/);
  });

  it("is read back by a second launcher while that bridge runs (npm run dev beside another instance): no second bridge", async () => {
    const tokenDir = newTokenDir();
    const restUrl = `http://127.0.0.1:${await freePort()}`;
    const owner = await ensureLocalBridge({ restUrl, redisUrl: REDIS_URL, tokenDir });
    bridges.push(owner!.bridge!);

    await expect(ensureLocalBridge({ restUrl, redisUrl: REDIS_URL, tokenDir })).resolves.toEqual({ bridge: null, token: owner!.token });
  });

  it("is not guessed: a bridge there whose token is not the saved one is refused, naming the token file", async () => {
    const tokenDir = newTokenDir();
    const existing = await startUpstashBridge({ port: 0, token: newToken(), redisUrl: REDIS_URL });
    bridges.push(existing);

    await expect(ensureLocalBridge({ restUrl: existing.url, redisUrl: REDIS_URL, tokenDir })).rejects.toThrow(/refused the local bridge token \(.*bridge-token-\d+\)/);
  });

  it("made by `npm run bridge` is the one `npm run dev` / `npm start` then use", { timeout: 60_000 }, async () => {
    const tokenDir = newTokenDir();
    const port = await freePort();
    const restUrl = `http://127.0.0.1:${port}`;
    const environment: NodeJS.ProcessEnv = { ...process.env, UPSTASH_REDIS_REST_URL: restUrl, REDIS_URL };
    delete environment.UPSTASH_REDIS_REST_TOKEN;
    // The CLI keeps its token in .local/ of its working directory, as in the project.
    const cli = spawn(path.resolve("node_modules/.bin/tsx"), [path.resolve("scripts/upstash-bridge.ts")], { cwd: path.dirname(tokenDir), env: environment, stdio: ["ignore", "pipe", "inherit"] });
    try {
      const output: string[] = [];
      for await (const line of createInterface({ input: cli.stdout! })) {
        output.push(line);
        if (line.includes("token in")) break;
      }
      const token = saved(tokenDir, port);
      expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(mode(tokenDir, port)).toBe(0o600);
      expect(output.join("\n")).not.toContain(token);

      await expect(ensureLocalBridge({ restUrl, redisUrl: REDIS_URL, tokenDir })).resolves.toEqual({ bridge: null, token });
      expect(await client(restUrl, token).ping()).toBe("PONG");
    } finally {
      const exited = once(cli, "exit");
      cli.kill("SIGTERM");
      await exited;
    }
  });

  it("stays out of git: .local/ is ignored", () => {
    expect(spawnSync("git", ["check-ignore", "--quiet", ".local/bridge-token-8079"]).status).toBe(0);
  });
});
