/**
 * The board in Redis: one sorted set whose score is the user's score and whose member encodes
 * the tie-break, so Redis orders exactly as Postgres does:
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

import type { BoardEntry, BoardWrite } from "~/server/board/types";
import type { BoardKeys } from "./keys";

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

// KEYS: ranking, applied, names, version, changes, ready. ARGV: (userId, version, score, member|"", name) per write.
// The board version is the highest row version applied, so it matches Postgres's max(version).
// Returns { board version, 1 when the board is built (else ranks are partial), 0-based rank of
// each write's member or -1 }, and publishes the board version when anything changed.
export const APPLY = `
local changed = false
local ranks = {}
local boardVersion = tonumber(redis.call('GET', KEYS[4]) or '0')
for i = 1, #ARGV, 5 do
  local userId, version, score, member, name = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local applied = redis.call('HGET', KEYS[2], userId)
  local newer = true
  if applied then
    local sep = string.find(applied, '|', 1, true)
    if tonumber(string.sub(applied, 1, sep - 1)) >= tonumber(version) then
      newer = false
      member = string.sub(applied, sep + 1)
    else
      local old = string.sub(applied, sep + 1)
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

/** APPLY's KEYS, in its order (the bench sends the script straight to redis-server too). */
export function applyKeys(keys: BoardKeys) {
  return [keys.ranking, keys.applied, keys.names, keys.version, keys.changes, keys.ready];
}

/** APPLY's ARGV for `writes`. */
export function applyArgs(writes: BoardWrite[]) {
  return writes.flatMap((write) => [
    write.userId,
    String(write.version),
    String(write.score),
    write.visible ? boardMember(write.reachedMicros, write.userId) : "",
    write.displayName,
  ]);
}

// KEYS: ranking, names, version, ready. ARGV: limit. Nil until the board has been built.
const TOP = `
if redis.call('EXISTS', KEYS[4]) == 0 then return false end
local members = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
local ids = {}
for i = 1, #members, 2 do ids[#ids + 1] = string.sub(members[i], ${MEMBER_PREFIX_LENGTH + 1}) end
local names = {}
if #ids > 0 then names = redis.call('HMGET', KEYS[2], unpack(ids)) end
return { redis.call('GET', KEYS[3]) or '0', members, names }
`;

// KEYS: applied, ranking, ready. ARGV: userId. Nil until built; -2 when Redis has never seen the
// user; -1 when they are off the board; else their 0-based rank.
const RANK = `
if redis.call('EXISTS', KEYS[3]) == 0 then return false end
local applied = redis.call('HGET', KEYS[1], ARGV[1])
if not applied then return -2 end
local member = string.sub(applied, string.find(applied, '|', 1, true) + 1)
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

export type BoardStore = ReturnType<typeof createBoardStore>;

export function createBoardStore(redis: Redis, keys: BoardKeys) {
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
      const [version, ready, ranks] = await applyScript.exec(applyKeys(keys), applyArgs(writes));
      return { version: Number(version), ready: ready === 1, ranks: ranks.map((rank) => (rank >= 0 ? rank + 1 : null)) };
    },

    /** The top `limit` entries, or null when the board has not been built (fresh or flushed Redis). */
    async top(limit: number): Promise<{ entries: BoardEntry[]; version: number } | null> {
      const result = await topScript.exec([keys.ranking, keys.names, keys.version, keys.ready], [String(limit)]);
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
      const rank = await rankScript.exec([keys.applied, keys.ranking, keys.ready], [userId]);
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
