/** What every scenario gets: the services, the app instances, direct handles for checks, the ledger. */
import { Redis as IORedis } from "ioredis";
import postgres from "postgres";

import { redisKeys, type BoardKeys } from "../src/server/redis/keys";
import { ScoreboardClient } from "../test/support/client";
import type { Board } from "../test/support/wire";
import type { AppInstances } from "./apps";
import type { FaultCluster } from "./cluster";
import { compareRedis } from "./invariants";
import { Ledger } from "./ledger";
import { sleep, submitUntilDefinite, waitUntilCompletable, type Player } from "./load";
import { CLIENT_TIMEOUT_MS, clientFor, insertUsers, type FaultUser } from "./users";

/**
 * A bound on waits for something that comes within seconds when all is well (a rebuilt board, a
 * recovered service, live subscribers catching up): reached only when it never comes.
 */
export const SIGNAL_TIMEOUT_MS = 60_000;
/** How often to look again at a state nothing announces (the app's background rebuild, its health). */
const POLL_MS = 100;

export type Harness = {
  cluster: FaultCluster;
  apps: AppInstances;
  /** The suite's own connection to the app's database (it reconnects after an outage). */
  sql: postgres.Sql;
  /** A direct connection to the suite's redis-server (for FLUSHALL and the invariant check). */
  redis: IORedis;
  keys: BoardKeys;
  ledger: Ledger;
  /** Inserts players, signed in at `base`, and waits until the app has put them on the Redis board. */
  players(prefix: string, count: number, base: string): Promise<Player[]>;
  anonymous(base: string): ScoreboardClient;
  /** Waits until the Redis board is marked ready (built from Postgres since it was last lost). */
  boardReady(): Promise<void>;
  /**
   * Completes an action, through `base`, for a player shown in the board's top 100 (what live
   * subscribers watch), so every subscriber's view changes whatever earlier scenarios left on the
   * board; returns the board after it.
   */
  changeBoard(base: string): Promise<Board>;
};

/** What a scenario reports; the runner adds the request tally and the invariant check. */
export type ScenarioReport = {
  load: string;
  faults: string;
  /** Scenario-specific checks that failed (empty: all held). */
  failures: string[];
  notes?: string[];
  /** 503 DB_UNAVAILABLE answers are expected (the database was down). */
  allowUnavailable?: boolean;
  /** Requests without an answer are expected (an instance was killed under them). */
  allowUnanswered?: boolean;
};

export type Scenario = { name: string; title: string; run(harness: Harness): Promise<ScenarioReport> };

export function createHarness(cluster: FaultCluster, apps: AppInstances): Harness & { close(): Promise<void> } {
  const sql = postgres(cluster.postgres.databaseUrl, { max: 4, onnotice: () => {} });
  const redis = new IORedis(cluster.redis.url, { maxRetriesPerRequest: 1 });
  redis.on("error", () => {}); // it is down on purpose in some scenarios; ioredis reconnects
  const keys = redisKeys(cluster.keyPrefix).board;
  const anonymous = (base: string) => new ScoreboardClient(base, { timeoutMs: CLIENT_TIMEOUT_MS });
  const ledger = new Ledger();
  /** Every player created so far, by id. */
  const known = new Map<string, FaultUser>();
  return {
    cluster,
    apps,
    sql,
    redis,
    keys,
    ledger,
    anonymous,
    async players(prefix, count, base) {
      const users = await insertUsers(sql, prefix, count);
      for (const user of users) known.set(user.id, user);
      // Inserted behind the app's back, so not on the Redis board yet: mark the board unbuilt,
      // as a flush would, and let the app rebuild it from Postgres on its next read.
      await redis.del(keys.ready);
      const deadline = Date.now() + SIGNAL_TIMEOUT_MS;
      for (;;) {
        await anonymous(base).query("leaderboard.top", { limit: 1 });
        if ((await compareRedis({ sql, redis, keys })).length === 0) break;
        if (Date.now() > deadline) throw new Error(`the app did not rebuild the board with the new players within ${SIGNAL_TIMEOUT_MS} ms`);
        await sleep(POLL_MS); // justified: the rebuild runs in the app's background and announces nothing: look again.
      }
      return Promise.all(users.map(async (user) => ({ userId: user.id, client: await clientFor(base, user, cluster.authSecret) })));
    },
    async boardReady() {
      const deadline = Date.now() + SIGNAL_TIMEOUT_MS;
      while ((await redis.exists(keys.ready).catch(() => 0)) !== 1) {
        if (Date.now() > deadline) throw new Error(`the Redis board was not rebuilt within ${SIGNAL_TIMEOUT_MS} ms`);
        await sleep(POLL_MS); // justified: the rebuild runs in the app's background and announces nothing: look again.
      }
    },
    async changeBoard(base) {
      const before = await anonymous(base).query("leaderboard.top", { limit: 100 });
      // The lowest-ranked one: a change anywhere in the top 100 changes the view, and the leaders have used most of their hourly cap.
      const user = before.entries.flatMap((entry) => known.get(entry.userId) ?? []).at(-1);
      if (!user) throw new Error("no player of the suite is in the board's top 100");
      const player = { userId: user.id, client: await clientFor(base, user, cluster.authSecret) };
      const started = await ledger.start(player.client, player.userId, "COMPLETE_TASK");
      if (started.kind !== "ok") throw new Error(`changing the board: action.start ${JSON.stringify(started)}`);
      await waitUntilCompletable(started.value);
      const submitted = await submitUntilDefinite(ledger, player, started.value);
      if (submitted.kind !== "ok") throw new Error(`changing the board: score.submit ${JSON.stringify(submitted)}`);
      return anonymous(base).query("leaderboard.top", { limit: 100 });
    },
    async close() {
      await sql.end({ timeout: 5 });
      redis.disconnect();
    },
  };
}

/** Waits until the app's /api/health answers 200. */
export async function untilHealthy(base: string) {
  const deadline = Date.now() + SIGNAL_TIMEOUT_MS;
  for (;;) {
    const response = await fetch(`${base}/api/health`).catch(() => null);
    await response?.arrayBuffer();
    if (response?.ok) return;
    if (Date.now() > deadline) throw new Error(`${base}/api/health did not answer 200 within ${SIGNAL_TIMEOUT_MS} ms`);
    await sleep(POLL_MS); // justified: a recovering service announces nothing: ask again.
  }
}

/**
 * Reads /api/health and returns what is wrong with the answer, or null: it must be `httpStatus`,
 * name `down` among the services down, and say nothing but fixed words and latencies (the
 * driver's message, with hosts and ports, belongs in the server log).
 */
export async function healthAnswerProblem(base: string, expected: { httpStatus: number; down: "db" | "redis" | null }) {
  const response = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
  const text = await response.text();
  let body: Record<string, unknown> | null = null;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // judged below
  }
  const services = ["db", "redis"] as const;
  const state = (name: (typeof services)[number]) => {
    const service = body?.[name] as Record<string, unknown> | undefined;
    const fixed = service && Object.keys(service).sort().join() === "latencyMs,status" && typeof service.latencyMs === "number";
    return fixed && (service.status === "ok" || service.status === "down") ? service.status : null;
  };
  const down = services.filter((name) => state(name) === "down");
  const status = down.length === 0 ? "ok" : down.includes("db") ? "down" : "degraded";
  const wellFormed =
    body !== null &&
    Object.keys(body).sort().join() === "db,down,redis,status" &&
    services.every((name) => state(name) !== null) &&
    body.status === status &&
    JSON.stringify(body.down) === JSON.stringify(down);
  const named = expected.down === null ? down.length === 0 : down.includes(expected.down);
  if (response.status === expected.httpStatus && wellFormed && named) return null;
  return `/api/health: ${response.status} ${text.slice(0, 300)}; expected ${expected.httpStatus}, ${expected.down ?? "nothing"} down, in fixed words only`;
}
