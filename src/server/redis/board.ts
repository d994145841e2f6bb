/**
 * The leaderboard in Redis: one sorted set whose score is the user's score and whose member
 * encodes the tie-break, so Redis orders exactly as Postgres does:
 *
 *   member = <9999999999999999 - reached_at in µs, 16 digits>:<user id>
 *
 * ZREVRANGE returns equal scores in descending member order: the larger inverted time
 * (reached the score earlier) first, then the larger user id — the same order as SQL's
 * `score desc, reached_at asc, user_id desc`.
 *
 * Writes are absolute and versioned (scores.version): a Lua script drops a write older than
 * what Redis holds, so retries and out-of-order arrivals converge on the database's state.
 * The board version is the highest row version applied — Postgres's max(scores.version) once
 * Redis has caught up — so both read paths report the same, never-decreasing version. One
 * transient exception: when two commits reach Redis out of order, the later-arriving older
 * write changes the board without raising the version, so for that moment one version names
 * two boards. Live subscribers still get both (the watcher compares contents, not versions).
 */
import type { Redis } from "@upstash/redis";

import type { BoardEntry } from "~/server/scoring/board";
import type { RemoteChanges } from "~/server/scoring/live";

const INVERTED_TIME_BASE = 9_999_999_999_999_999n;
const MEMBER_PREFIX_LENGTH = 17; // 16 digits and ':'

export function boardMember(reachedMicros: bigint | string, userId: string) {
  const inverted = INVERTED_TIME_BASE - BigInt(reachedMicros);
  return `${inverted.toString().padStart(16, "0")}:${userId}`;
}

/** The user id a board member names (the inverse of `boardMember`'s second part). */
export function boardMemberUserId(member: string) {
  return member.slice(MEMBER_PREFIX_LENGTH);
}

/** A user's state as of one database version; `visible: false` takes them off the board. */
export type BoardWrite = {
  userId: string;
  version: number;
  score: number;
  reachedMicros: string;
  displayName: string;
  visible: boolean;
};

export type BoardKeys = {
  board: string;
  entries: string;
  names: string;
  version: string;
  ready: string;
  rebuildLock: string;
  /** Pub/sub channel announcing each new board version to every instance. */
  changes: string;
};

/** The board's keys, all under `base` (the app uses `redisKey("board")`; tests their own). */
export function boardKeysUnder(base: string): BoardKeys {
  return {
    board: base,
    entries: `${base}:entries`,
    names: `${base}:names`,
    version: `${base}:version`,
    ready: `${base}:ready`,
    rebuildLock: `${base}:rebuilding`,
    changes: `${base}:changes`,
  };
}

// KEYS: board, entries, names, version, changes, ready. ARGV: (userId, version, score, member|"", name) per write.
// The board version is the highest row version applied, so it matches Postgres's max(version).
// Returns { board version, 1 when the board is built (else ranks are partial), 0-based rank of
// each write's member or -1 }, and publishes the board version when anything changed.
export const APPLY = `
local changed = false
local ranks = {}
local boardVersion = tonumber(redis.call('GET', KEYS[4]) or '0')
for i = 1, #ARGV, 5 do
  local userId, version, score, member, name = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local current = redis.call('HGET', KEYS[2], userId)
  local newer = true
  if current then
    local sep = string.find(current, '|', 1, true)
    if tonumber(string.sub(current, 1, sep - 1)) >= tonumber(version) then
      newer = false
      member = string.sub(current, sep + 1)
    else
      local old = string.sub(current, sep + 1)
      if old ~= '' then redis.call('ZREM', KEYS[1], old) end
    end
  end
  if newer then
    if member ~= '' then redis.call('ZADD', KEYS[1], score, member) end
    redis.call('HSET', KEYS[2], userId, version .. '|' .. member)
    redis.call('HSET', KEYS[3], userId, name)
    if tonumber(version) > boardVersion then boardVersion = tonumber(version) end
    changed = true
  end
  local rank = false
  if member ~= '' then rank = redis.call('ZREVRANK', KEYS[1], member) end
  ranks[#ranks + 1] = rank or -1
end
if changed then
  redis.call('SET', KEYS[4], boardVersion)
  redis.call('PUBLISH', KEYS[5], boardVersion)
end
return { boardVersion, redis.call('EXISTS', KEYS[6]), ranks }
`;

// KEYS: board, names, version, ready. ARGV: limit. Nil until the board has been built.
const TOP = `
if redis.call('EXISTS', KEYS[4]) == 0 then return false end
local members = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
local ids = {}
for i = 1, #members, 2 do ids[#ids + 1] = string.sub(members[i], ${MEMBER_PREFIX_LENGTH + 1}) end
local names = {}
if #ids > 0 then names = redis.call('HMGET', KEYS[2], unpack(ids)) end
return { redis.call('GET', KEYS[3]) or '0', members, names }
`;

// KEYS: entries, board, ready. ARGV: userId. Nil until built; -2 when Redis has never seen the
// user; -1 when they are off the board; else their 0-based rank.
const RANK = `
if redis.call('EXISTS', KEYS[3]) == 0 then return false end
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return -2 end
local member = string.sub(current, string.find(current, '|', 1, true) + 1)
if member == '' then return -1 end
return redis.call('ZREVRANK', KEYS[2], member) or -1
`;

// KEYS: rebuild lock. ARGV: lock value, ttl in ms. 1 when the lock is still ours (and now extended).
const RENEW_REBUILD = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

// KEYS: rebuild lock, ready. ARGV: lock value, "1" when the rebuild completed.
const FINISH_REBUILD = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if ARGV[2] == '1' then redis.call('SET', KEYS[2], '1') end
return 1
`;

export type RedisBoard = ReturnType<typeof createRedisBoard>;

export function createRedisBoard(redis: Redis, keys: BoardKeys) {
  const applyScript = redis.createScript<[number, number, number[]]>(APPLY);
  const topScript = redis.createScript<[string, string[], (string | null)[]] | null, true>(TOP, { readonly: true });
  const rankScript = redis.createScript<number | null, true>(RANK, { readonly: true });
  const finishScript = redis.createScript<number>(FINISH_REBUILD);
  const renewScript = redis.createScript<number>(RENEW_REBUILD);

  return {
    /**
     * Applies writes (newest version wins) in one request; returns the board version, whether
     * the board is complete (built since the last flush), and each write's 1-based rank.
     */
    async apply(writes: BoardWrite[]) {
      const args = writes.flatMap((write) => [
        write.userId,
        String(write.version),
        String(write.score),
        write.visible ? boardMember(write.reachedMicros, write.userId) : "",
        write.displayName,
      ]);
      const [version, ready, ranks] = await applyScript.exec(
        [keys.board, keys.entries, keys.names, keys.version, keys.changes, keys.ready],
        args,
      );
      return { version: Number(version), ready: ready === 1, ranks: ranks.map((rank) => (rank >= 0 ? rank + 1 : null)) };
    },

    /** The top `limit` entries, or null when the board has not been built (fresh or flushed Redis). */
    async top(limit: number): Promise<{ entries: BoardEntry[]; version: number } | null> {
      const result = await topScript.exec([keys.board, keys.names, keys.version, keys.ready], [String(limit)]);
      if (!result) return null;
      const [version, members, names] = result;
      const entries: BoardEntry[] = [];
      for (let i = 0; i < members.length; i += 2) {
        const userId = boardMemberUserId(members[i]!);
        entries.push({ rank: i / 2 + 1, userId, displayName: names[i / 2] ?? "", score: Number(members[i + 1]) });
      }
      return { entries, version: Number(version) };
    },

    /**
     * A user's 1-based rank, null when they are off the board, "unbuilt" before the board has
     * been built, "missing" when Redis has no record of the user.
     */
    async rank(userId: string): Promise<number | null | "unbuilt" | "missing"> {
      const rank = await rankScript.exec([keys.entries, keys.board, keys.ready], [userId]);
      if (rank === null) return "unbuilt";
      if (rank === -2) return "missing";
      return rank >= 0 ? rank + 1 : null;
    },

    /** One rebuilder at a time across all instances; the lock expires should its holder die. */
    async tryLockRebuild(lock: string, ttlMs: number) {
      return (await redis.set(keys.rebuildLock, lock, { nx: true, px: ttlMs })) === "OK";
    },

    /**
     * Extends a rebuild's lock while it runs (a large board takes longer than one lock period);
     * false when the lock is no longer ours (it expired, or a flush deleted it).
     */
    async renewRebuildLock(lock: string, ttlMs: number) {
      return (await renewScript.exec([keys.rebuildLock], [lock, String(ttlMs)])) === 1;
    },

    /**
     * Releases the lock and, after a complete rebuild, marks the board ready. A flush during
     * the rebuild deletes our lock too, so then the board stays unready and is rebuilt again.
     */
    async finishRebuild(lock: string, completed: boolean) {
      await finishScript.exec([keys.rebuildLock, keys.ready], [lock, completed ? "1" : "0"]);
    },
  };
}

/** Board changes made by any instance, through Redis pub/sub and the version key. */
export function createRemoteChanges(
  redis: Redis,
  keys: Pick<BoardKeys, "changes" | "version" | "ready">,
  onError: (operation: string, error: unknown) => void,
): RemoteChanges {
  return {
    subscribe({ onChange, onReady, onLost }) {
      const subscriber = redis.subscribe<string>([keys.changes]);
      subscriber.on("subscribe", () => onReady());
      subscriber.on("message", () => onChange());
      subscriber.on("error", (error) => {
        onError("subscribe", error);
        onLost();
      });
      return () => void subscriber.unsubscribe().catch((error: unknown) => onError("unsubscribe", error));
    },
    async currentVersion() {
      try {
        const [version, ready] = await redis.mget<[string | null, string | null]>(keys.version, keys.ready);
        return { version: version ?? "0", built: ready !== null };
      } catch (error) {
        onError("poll", error);
        return null;
      }
    },
  };
}
