/** What every scenario gets: the services, the app instances, direct handles for checks, the ledger. */
import { Redis as IORedis } from "ioredis";
import postgres from "postgres";

import { boardKeysUnder, type BoardKeys } from "../src/server/redis/board";
import { ScoreboardSession } from "../test/support/client";
import type { AppInstances } from "./apps";
import type { FaultCluster } from "./cluster";
import { compareRedis } from "./invariants";
import { Ledger } from "./ledger";
import { sleep, type Player } from "./load";
import { insertUsers, sessionFor } from "./users";

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
  anonymous(base: string): ScoreboardSession;
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
  /** How long Redis may take to converge after the load stops (PRODUCT.md: a second of quiet). */
  convergeWithinMs?: number;
};

export type Scenario = { name: string; title: string; run(harness: Harness): Promise<ScenarioReport> };

export function createHarness(cluster: FaultCluster, apps: AppInstances): Harness & { close(): Promise<void> } {
  const sql = postgres(cluster.postgres.databaseUrl, { max: 4, onnotice: () => {} });
  const redis = new IORedis(cluster.redis.url, { maxRetriesPerRequest: 1 });
  redis.on("error", () => {}); // it is down on purpose in some scenarios; ioredis reconnects
  const keys = boardKeysUnder(`${cluster.keyPrefix}board`);
  const anonymous = (base: string) => new ScoreboardSession(base, { timeoutMs: 30_000 });
  return {
    cluster,
    apps,
    sql,
    redis,
    keys,
    ledger: new Ledger(),
    anonymous,
    async players(prefix, count, base) {
      const users = await insertUsers(sql, prefix, count);
      // Inserted behind the app's back, so not on the Redis board yet: mark the board unbuilt,
      // as a flush would, and let the app rebuild it from Postgres on its next read.
      await redis.del(keys.ready);
      const deadline = Date.now() + 30_000;
      for (;;) {
        await anonymous(base).trpc("query", "leaderboard.top", { limit: 1 });
        if ((await compareRedis({ sql, redis, keys })).length === 0) break;
        if (Date.now() > deadline) throw new Error("the app did not rebuild the board with the new players within 30 s");
        await sleep(200);
      }
      return Promise.all(users.map(async (user) => ({ userId: user.id, session: await sessionFor(base, user, cluster.authSecret) })));
    },
    async close() {
      await sql.end({ timeout: 5 });
      redis.disconnect();
    },
  };
}
