/**
 * Every Redis key the app uses, named here and nowhere else: the app, its tests, bench/ and
 * faults/ all take their keys from `redisKeys(prefix)`. Keys come in groups, one per feature.
 *
 * A group whose keys change name or meaning takes the next scheme version (`board:v2`): a deployed
 * app then finds none of its keys under the new names, so its board reads as not built and is
 * rebuilt from Postgres, instead of new code misreading old keys. (v1 had no version in its names;
 * it kept each user's `version|member` in `board:entries`.)
 */

import type { PeriodWindow } from "~/lib/board-windows";

const BOARD_SCHEME = "v2";

/** The keys of one ranking: the all-time board, or one day's or one week's. */
export type RankingKeys = {
  /** Sorted set of the users on the board: score = their score, member = tie-break and user id (see ./board-store.ts). */
  ranking: string;
  /** Hash: user id → `version|member` of the newest write applied (member empty while off the board). */
  applied: string;
  /** The board version: the highest row version applied. */
  version: string;
  /** Present once the board has been built from Postgres since its keys were last lost. */
  ready: string;
  /** Held by the one instance rebuilding the board. */
  rebuildLock: string;
};

export type BoardKeys = RankingKeys & {
  /** Hash: user id → display name, shared by every ranking. */
  names: string;
  /** Pub/sub channel announcing each change of any ranking to every instance. */
  changes: string;
  /** The keys of one day's or one ISO week's ranking (they expire some time after the period ends). */
  period(window: PeriodWindow, name: string): RankingKeys;
};

export type RedisKeys = {
  board: BoardKeys;
  /** Prefix of the rate limiters' keys; each limit adds its own part. */
  rateLimit: string;
  /** Prefix of the live-stream slots: one sorted set per client, `<prefix>:<client>` (see ./stream-slots.ts). */
  liveStreams: string;
};

/** Every key under `prefix`: REDIS_KEY_PREFIX for the app, a prefix of their own for tests and benchmarks. */
export function redisKeys(prefix: string): RedisKeys {
  return {
    board: boardKeys(`${prefix}board:${BOARD_SCHEME}`),
    rateLimit: `${prefix}ratelimit`,
    liveStreams: `${prefix}live-streams`,
  };
}

function rankingKeys(base: string): RankingKeys {
  return {
    ranking: `${base}:ranking`,
    applied: `${base}:applied`,
    version: `${base}:version`,
    ready: `${base}:ready`,
    rebuildLock: `${base}:rebuild-lock`,
  };
}

function boardKeys(base: string): BoardKeys {
  return {
    ...rankingKeys(base),
    names: `${base}:names`,
    changes: `${base}:changes`,
    period: (window, name) => rankingKeys(`${base}:${window}:${name}`),
  };
}
