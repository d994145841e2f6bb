/**
 * The boards in Redis: all time, the current day's and the current week's (and, until their keys
 * expire, the periods just finished), each one sorted set whose score is the user's score and whose member encodes
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

import type { BoardEntry, BoardScope, BoardUpdate } from "~/server/board/types";
import type { BoardKeys, RankingKeys } from "./keys";

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

// KEYS: names, changes, then per ranking: ranking, applied, version, ready.
// ARGV: the number of rankings, then per ranking: when its keys expire (ms since the epoch; 0 =
// never, the all-time board), how many writes follow, and per write: userId, version, score,
// member|"", name.
// Per ranking, the version is the highest row version applied, so it matches Postgres's. A
// period's ranking records nothing of a user who was never on it and is not now (a user with no
// score in that period), so it holds only that period's players.
// Returns per ranking { its version, 1 when it is built (else ranks are partial), the 0-based rank
// of each write's member or -1 }, and publishes once when any ranking changed.
export const APPLY = `
local changed = false
local results = {}
local a = 2
for b = 1, tonumber(ARGV[1]) do
  local k = 2 + (b - 1) * 4
  local ranking, appliedKey, versionKey, readyKey = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4]
  local expireAt, expireAtArg, count = tonumber(ARGV[a]), ARGV[a], tonumber(ARGV[a + 1])
  a = a + 2
  local boardVersion = tonumber(redis.call('GET', versionKey) or '0')
  local boardChanged = false
  local ranks = {}
  for i = 1, count do
    local userId, version, score, member, name = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
    a = a + 5
    local applied = redis.call('HGET', appliedKey, userId)
    local newer = true
    if applied then
      local sep = string.find(applied, '|', 1, true)
      if tonumber(string.sub(applied, 1, sep - 1)) >= tonumber(version) then
        newer = false
        member = string.sub(applied, sep + 1)
      else
        local old = string.sub(applied, sep + 1)
        if old ~= '' then redis.call('ZREM', ranking, old) end
      end
    elseif member == '' and expireAt > 0 then
      newer = false
    end
    if newer then
      if member ~= '' then redis.call('ZADD', ranking, score, member) end
      redis.call('HSET', appliedKey, userId, version .. '|' .. member)
      redis.call('HSET', KEYS[1], userId, name)
      if tonumber(version) > boardVersion then boardVersion = tonumber(version) end
      boardChanged = true
    end
    local rank = false
    if member ~= '' then rank = redis.call('ZREVRANK', ranking, member) end
    ranks[#ranks + 1] = rank or -1
  end
  if boardChanged then
    redis.call('SET', versionKey, boardVersion)
    changed = true
  end
  if expireAt > 0 then
    redis.call('PEXPIREAT', ranking, expireAtArg)
    redis.call('PEXPIREAT', appliedKey, expireAtArg)
    redis.call('PEXPIREAT', versionKey, expireAtArg)
  end
  results[b] = { boardVersion, redis.call('EXISTS', readyKey), ranks }
end
if changed then redis.call('PUBLISH', KEYS[2], '1') end
return results
`;

/** How long a period's keys outlive it: late writes still land, then they cost nothing. */
export const PERIOD_KEYS_GRACE_MS = 60 * 60 * 1000;

/** The keys of a board's ranking, and when they expire (0: never). */
export function rankingOf(keys: BoardKeys, scope: BoardScope): { keys: RankingKeys; expireAt: number } {
  if (scope.period === null) return { keys, expireAt: 0 };
  return { keys: keys.period(scope.window, scope.period.name), expireAt: scope.period.resetsAt.getTime() + PERIOD_KEYS_GRACE_MS };
}

/** APPLY's KEYS and ARGV for `updates`, in its order (the bench sends the script straight to redis-server too). */
export function applyCall(keys: BoardKeys, updates: BoardUpdate[]) {
  const scriptKeys = [keys.names, keys.changes];
  const args = [String(updates.length)];
  for (const update of updates) {
    const ranking = rankingOf(keys, update.scope);
    scriptKeys.push(ranking.keys.ranking, ranking.keys.applied, ranking.keys.version, ranking.keys.ready);
    args.push(String(ranking.expireAt), String(update.writes.length));
    for (const write of update.writes) {
      args.push(write.userId, String(write.version), String(write.score), write.visible ? boardMember(write.reachedMicros, write.userId) : "", write.displayName);
    }
  }
  return { keys: scriptKeys, args };
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

// KEYS: applied, ranking, ready, names. ARGV: userId. Nil until built; else { the user's 0-based
// rank, or -2 when Redis has never seen the user on this board, or -1 when they are off it; the
// number of players on the board; and while they are on it, their score and name }.
const RANK = `
if redis.call('EXISTS', KEYS[3]) == 0 then return false end
local total = redis.call('ZCARD', KEYS[2])
local applied = redis.call('HGET', KEYS[1], ARGV[1])
if not applied then return { -2, total } end
local member = string.sub(applied, string.find(applied, '|', 1, true) + 1)
if member == '' then return { -1, total } end
local rank = redis.call('ZREVRANK', KEYS[2], member)
if not rank then return { -1, total } end
return { rank, total, redis.call('ZSCORE', KEYS[2], member), redis.call('HGET', KEYS[4], ARGV[1]) or '' }
`;

// KEYS: applied, ranking, ready, names. ARGV: userId, radius. Nil until built; else { the 0-based
// rank of the first entry, or -2 / -1 as RANK says; the number of players on the board; the
// members from `radius` above the user to `radius` below, with scores; their names }. Rank
// arithmetic only: a user's neighbourhood costs the same on a board of ten and of a million.
const AROUND = `
if redis.call('EXISTS', KEYS[3]) == 0 then return false end
local total = redis.call('ZCARD', KEYS[2])
local applied = redis.call('HGET', KEYS[1], ARGV[1])
if not applied then return { -2, total, {}, {} } end
local member = string.sub(applied, string.find(applied, '|', 1, true) + 1)
if member == '' then return { -1, total, {}, {} } end
local rank = redis.call('ZREVRANK', KEYS[2], member)
if not rank then return { -1, total, {}, {} } end
local radius = tonumber(ARGV[2])
local first = math.max(0, rank - radius)
local members = redis.call('ZREVRANGE', KEYS[2], first, rank + radius, 'WITHSCORES')
local ids = {}
for i = 1, #members, 2 do ids[#ids + 1] = string.sub(members[i], ${MEMBER_PREFIX_LENGTH + 1}) end
return { first, total, members, redis.call('HMGET', KEYS[4], unpack(ids)) }
`;

// KEYS: rebuild lock. ARGV: lock value, ttl in ms. 1 when the lock is still ours (and now extended).
const RENEW_REBUILD = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

// KEYS: rebuild lock, ready. ARGV: lock value, "1" when the rebuild completed, when ready expires (0: never).
const FINISH_REBUILD = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if ARGV[2] == '1' then
  redis.call('SET', KEYS[2], '1')
  if ARGV[3] ~= '0' then redis.call('PEXPIREAT', KEYS[2], ARGV[3]) end
end
return 1
`;

export type BoardStore = ReturnType<typeof createBoardStore>;

export function createBoardStore(redis: Redis, keys: BoardKeys) {
  const applyScript = redis.createScript<[number, number, number[]][]>(APPLY);
  const topScript = redis.createScript<[string, string[], (string | null)[]] | null, true>(TOP, { readonly: true });
  const rankScript = redis.createScript<[number, number, string?, string?] | null, true>(RANK, { readonly: true });
  const aroundScript = redis.createScript<[number, number, string[], (string | null)[]] | null, true>(AROUND, { readonly: true });
  const finishScript = redis.createScript<number>(FINISH_REBUILD);
  const renewScript = redis.createScript<number>(RENEW_REBUILD);

  return {
    /**
     * Applies writes to their boards (newest version wins) in one request; returns per update the
     * board's version, whether it is complete (built since its keys were last lost), and each
     * write's 1-based rank.
     */
    async apply(updates: BoardUpdate[]) {
      const call = applyCall(keys, updates);
      const results = await applyScript.exec(call.keys, call.args);
      return results.map(([version, ready, ranks]) => ({
        version: Number(version),
        ready: ready === 1,
        ranks: ranks.map((rank) => (rank >= 0 ? rank + 1 : null)),
      }));
    },

    /** The top `limit` entries of a board, or null when it has not been built (fresh or flushed Redis, a new period). */
    async top(scope: BoardScope, limit: number): Promise<{ entries: BoardEntry[]; version: number } | null> {
      const ranking = rankingOf(keys, scope).keys;
      const result = await topScript.exec([ranking.ranking, keys.names, ranking.version, ranking.ready], [String(limit)]);
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
     * A user's 1-based rank on a board, with their score and name there (`entry`, null when they
     * are off it), and the number of players on it; "unbuilt" before the board has been built, and
     * `seen: false` when Redis has no record of the user there.
     */
    async rank(scope: BoardScope, userId: string): Promise<{ entry: BoardEntry | null; seen: boolean; total: number } | "unbuilt"> {
      const ranking = rankingOf(keys, scope).keys;
      const result = await rankScript.exec([ranking.applied, ranking.ranking, ranking.ready, keys.names], [userId]);
      if (result === null) return "unbuilt";
      const [rank, total, score, displayName] = result;
      const entry = rank >= 0 ? { rank: rank + 1, userId, displayName: displayName ?? "", score: Number(score) } : null;
      return { entry, seen: rank !== -2, total: Number(total) };
    },

    /**
     * The entries from `radius` above a user to `radius` below on a board, the user included (none
     * when they are off it), and the number of players on it; "unbuilt" as for `rank`.
     */
    async around(scope: BoardScope, userId: string, radius: number): Promise<{ entries: BoardEntry[]; seen: boolean; total: number } | "unbuilt"> {
      const ranking = rankingOf(keys, scope).keys;
      const result = await aroundScript.exec([ranking.applied, ranking.ranking, ranking.ready, keys.names], [userId, String(radius)]);
      if (result === null) return "unbuilt";
      const [first, total, members, names] = result;
      const entries: BoardEntry[] = [];
      for (let i = 0; i < members.length; i += 2) {
        entries.push({ rank: first + i / 2 + 1, userId: boardMemberUserId(members[i]!), displayName: names[i / 2] ?? "", score: Number(members[i + 1]) });
      }
      return { entries, seen: first !== -2, total: Number(total) };
    },

    /** One rebuilder of a board at a time across all instances; the lock expires should its holder die. */
    async tryLockRebuild(scope: BoardScope, lock: string, ttlMs: number) {
      return (await redis.set(rankingOf(keys, scope).keys.rebuildLock, lock, { nx: true, px: ttlMs })) === "OK";
    },

    /**
     * Extends a rebuild's lock while it runs (a large board takes longer than one lock period);
     * false when the lock is no longer ours (it expired, or a flush deleted it).
     */
    async renewRebuildLock(scope: BoardScope, lock: string, ttlMs: number) {
      return (await renewScript.exec([rankingOf(keys, scope).keys.rebuildLock], [lock, String(ttlMs)])) === 1;
    },

    /**
     * Releases the lock and, after a complete rebuild, marks the board ready. A flush during
     * the rebuild deletes our lock too, so then the board stays unready and is rebuilt again.
     */
    async finishRebuild(scope: BoardScope, lock: string, completed: boolean) {
      const ranking = rankingOf(keys, scope);
      await finishScript.exec([ranking.keys.rebuildLock, ranking.keys.ready], [lock, completed ? "1" : "0", String(ranking.expireAt)]);
    },
  };
}
