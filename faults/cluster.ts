/**
 * The fault suite's own services, so breaking them harms nothing else on the machine: a
 * throwaway PostgreSQL cluster (initdb/pg_ctl on a spare port, in a temp dir), a redis-server
 * child on a spare port, and the Upstash bridge in front of it. Each can be stopped and started
 * again on the same port while the app keeps running.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { userInfo } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";

import { startUpstashBridge, type UpstashBridge } from "../scripts/upstash-bridge";
import { migrateDatabase } from "../src/server/db/migrate";
import { freePort } from "../test/support/ports";

const run = promisify(execFile);
const POSTGRES_BIN = process.env.POSTGRES_BIN ?? "/usr/lib/postgresql/15/bin";

/** Runs a PostgreSQL binary as the `postgres` user when we are root (initdb and postgres refuse root). */
function asPostgresUser(binary: string, args: string[]) {
  const command = path.join(POSTGRES_BIN, binary);
  return userInfo().uid === 0 ? run("runuser", ["-u", "postgres", "--", command, ...args]) : run(command, args);
}

export type PostgresCluster = {
  /** postgres://…/scoreboard on the cluster (the database the app uses). */
  databaseUrl: string;
  port: number;
  /** `pg_ctl stop -m fast`: open connections are terminated, new ones refused. */
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
};

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const dir = mkdtempSync("/tmp/faults-pg-");
  if (userInfo().uid === 0) await run("chown", ["postgres:postgres", dir]);
  const dataDir = path.join(dir, "data");
  const port = await freePort();
  let running = false;
  const pgCtl = (...args: string[]) => asPostgresUser("pg_ctl", ["-D", dataDir, ...args]);
  const start = async () => {
    // fsync off: a crash of this cluster loses nothing anyone needs, and it is much faster.
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
    await pgCtl("start", "-w", "-t", "60", "-l", path.join(dir, "server.log"), "-o", options);
    running = true;
  };
  const stop = async () => {
    await pgCtl("stop", "-w", "-t", "60", "-m", "fast");
    running = false;
  };
  try {
    await asPostgresUser("initdb", ["-D", dataDir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
    await start();
    const databaseUrl = `postgres://postgres@127.0.0.1:${port}/scoreboard`;
    await migrateDatabase(databaseUrl);
    return {
      databaseUrl,
      port,
      stop,
      start,
      async destroy() {
        if (running) await pgCtl("stop", "-w", "-t", "60", "-m", "immediate").catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (running) await pgCtl("stop", "-m", "immediate").catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

export type RedisServer = {
  url: string;
  port: number;
  /** SIGKILL: a crash, not a polite shutdown; nothing is kept (no persistence). */
  kill(): Promise<void>;
  /** A new redis-server on the same port, empty. */
  start(): Promise<void>;
  destroy(): Promise<void>;
};

export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const start = async () => {
    const server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    child = server;
    await untilReady(server);
  };
  const kill = async () => {
    const server = child;
    child = null;
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const exited = once(server, "exit");
    server.kill("SIGKILL");
    await exited;
  };
  await start();
  return { url, port, kill, start, destroy: kill };
}

/** Resolves when redis-server logs that it accepts connections (it does once it listens); rejects if it exits first. */
async function untilReady(server: ChildProcess, timeoutMs = 60_000) {
  const lines = createInterface({ input: server.stdout! });
  const log: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server was not ready within ${timeoutMs} ms:\n${log.join("\n")}`)), timeoutMs);
      const exited = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${log.join("\n")}`));
      };
      server.once("exit", exited);
      lines.on("line", (line) => {
        log.push(line);
        if (!line.includes("Ready to accept connections")) return;
        clearTimeout(timer);
        server.off("exit", exited);
        resolve();
      });
    });
  } finally {
    // The interface keeps reading (and dropping) its output, so a full pipe never blocks it.
    lines.removeAllListeners("line");
  }
}

export type FaultCluster = {
  postgres: PostgresCluster;
  redis: RedisServer;
  bridge: UpstashBridge;
  /** The env every app instance of the run gets (services, secrets, key prefix). */
  appEnv: Record<string, string>;
  authSecret: string;
  actionTokenSecret: string;
  /** The bearer token for GET /api/metrics. */
  metricsToken: string;
  keyPrefix: string;
  destroy(): Promise<void>;
};

export async function startFaultCluster(): Promise<FaultCluster> {
  const cleanups: Array<() => Promise<void>> = [];
  const destroy = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error("cleanup failed:", error));
  };
  try {
    const postgres = await startPostgresCluster();
    cleanups.push(() => postgres.destroy());
    const redis = await startRedisServer();
    cleanups.push(() => redis.destroy());
    const token = randomBytes(24).toString("base64url");
    const bridge = await startUpstashBridge({ port: 0, token, redisUrl: redis.url });
    cleanups.push(() => bridge.close());
    const authSecret = randomBytes(32).toString("base64url");
    const metricsToken = randomBytes(24).toString("base64url");
    // Known to the suite so it can mint tokens the server must refuse (expired ones).
    const actionTokenSecret = randomBytes(32).toString("base64url");
    const keyPrefix = "faults:";
    return {
      postgres,
      redis,
      bridge,
      authSecret,
      actionTokenSecret,
      metricsToken,
      keyPrefix,
      appEnv: {
        DATABASE_URL: postgres.databaseUrl,
        REDIS_URL: redis.url,
        UPSTASH_REDIS_REST_URL: bridge.url,
        UPSTASH_REDIS_REST_TOKEN: token,
        REDIS_KEY_PREFIX: keyPrefix,
        AUTH_SECRET: authSecret,
        ACTION_TOKEN_SECRET: actionTokenSecret,
        METRICS_TOKEN: metricsToken,
        NEXT_TELEMETRY_DISABLED: "1",
        LOG_LEVEL: "warn",
      },
      destroy,
    };
  } catch (error) {
    await destroy();
    throw error;
  }
}
