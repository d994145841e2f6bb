/**
 * The invariant check every scenario ends with (PRODUCT.md, Invariants), over the whole database:
 *
 * - Postgres: every user's score equals the sum of their audit deltas;
 * - Redis: every user's board entry equals Postgres (score, tie-break member, row version), the
 *   board holds nobody else, and its version is Postgres's max(version) — reached by the app on
 *   its own once the load has stopped, with no request prodding it (PRODUCT.md asks for a second
 *   of quiet; how long it takes on a shared machine is a measurement for bench/, so the wait here
 *   only bounds a failure);
 * - every day and ISO week whose Redis keys exist (the current ones, and those the run's audit rows
 *   fell in): Postgres's `window_scores` and Redis's ranking equal the sums of the audit deltas in
 *   the period (./window-invariants.ts), converging on their own like the all-time board;
 * - against the client's ledger: every acknowledged submit has exactly one audit row (none lost),
 *   no action was applied twice (none doubled), every audit row is an action the suite started
 *   for that user and did not have every submit refused (none let in), every delta is the rule's,
 *   and no reader was ever shown a score that Postgres did not commit.
 */
import type { Redis as IORedis } from "ioredis";
import type postgres from "postgres";

import { boardMember } from "../src/server/redis/board-store";
import type { BoardKeys } from "../src/server/redis/keys";
import { ACTION_RULES, isActionType } from "../src/server/scoring/rules";
import type { Ledger } from "./ledger";
import { compareWindows, windowHolds, type WindowReport } from "./window-invariants";

export type InvariantReport = {
  users: number;
  auditRows: number;
  acknowledged: number;
  /** Acknowledged actions with no audit row. */
  lost: string[];
  /** Actions with two audit rows, or acknowledged as applied twice. */
  doubled: string[];
  /** Audit rows no client caused: not started by the suite for that user, or every submit refused. */
  unexplained: string[];
  wrongDelta: string[];
  /** Users whose score is not the sum of their audit deltas. */
  scoreMismatches: string[];
  /** Scores a reader was shown that Postgres never committed for that user. */
  phantoms: string[];
  /** Differences between Redis and Postgres that the app did not repair on its own. */
  redisDrift: string[];
  /** The day and week boards checked (current and, after a boundary, those of the run's audit rows), as last compared. */
  windows: WindowReport[];
  ok: boolean;
};

type AuditRow = { user_id: string; action_id: string; action_type: string; delta: number; new_score: string };
type UserRow = { id: string; hidden: boolean; banned: boolean; score: string; version: string; reached_micros: string; delta_sum: string };

/**
 * How long the app may take to repair Redis on its own: its repair loop backs off to 5 s between
 * attempts, so this bounds only a failure (drift it never repairs).
 */
const CONVERGENCE_TIMEOUT_MS = 30_000;
/** How often to compare again: the app announces nothing when it has repaired the board. */
const CONVERGENCE_POLL_MS = 100;

export async function checkInvariants(deps: { sql: postgres.Sql; redis: IORedis; keys: BoardKeys; ledger: Ledger }): Promise<InvariantReport> {
  const { sql, ledger } = deps;
  const deadline = performance.now() + CONVERGENCE_TIMEOUT_MS;
  // Redis first: every board (all time, each day and week) must converge on its own, with no
  // request prodding the app. Each comparison takes the current day and week at its own moment.
  let [redisDrift, windows] = await Promise.all([compareRedis(deps), compareWindows(deps)]);
  while ((redisDrift.length > 0 || windows.some((window) => window.redisDrift.length > 0)) && performance.now() < deadline) {
    // Nothing announces that the app has repaired a board: compare again.
    await new Promise((resolve) => setTimeout(resolve, CONVERGENCE_POLL_MS));
    [redisDrift, windows] = await Promise.all([compareRedis(deps), compareWindows(deps)]);
  }

  const users = await sql<UserRow[]>`
    select u.id, u.hidden, u.banned, s.score::text, s.version::text,
      (extract(epoch from s.reached_at) * 1000000)::bigint::text as reached_micros,
      coalesce((select sum(delta) from score_actions a where a.user_id = u.id), 0)::text as delta_sum
    from users u join scores s on s.user_id = u.id`;
  const audit = await sql<AuditRow[]>`select user_id, action_id, action_type, delta, new_score::text from score_actions`;

  const scoreMismatches = users.filter((user) => user.score !== user.delta_sum).map((user) => `${user.id}: score ${user.score}, audit sum ${user.delta_sum}`);

  const rowsByAction = new Map<string, AuditRow[]>();
  const committedScores = new Map<string, Set<number>>();
  for (const row of audit) {
    const key = `${row.user_id}/${row.action_id}`;
    rowsByAction.set(key, [...(rowsByAction.get(key) ?? []), row]);
    const scores = committedScores.get(row.user_id) ?? new Set<number>([0]);
    scores.add(Number(row.new_score));
    committedScores.set(row.user_id, scores);
  }

  const lost: string[] = [];
  const doubled: string[] = [];
  let acknowledged = 0;
  for (const [key, record] of ledger.submits) {
    const rows = rowsByAction.get(key) ?? [];
    if (record.acked.length > 0) acknowledged += 1;
    if (record.acked.length > 0 && rows.length === 0) lost.push(`${key}: acknowledged ${record.acked.length}×, no audit row`);
    const applied = record.acked.filter((result) => !result.replayed);
    if (applied.length > 1) doubled.push(`${key}: acknowledged as applied ${applied.length}×`);
    if (record.acked.some((result) => result.replayed && result.delta !== 0)) doubled.push(`${key}: a replay reported delta ≠ 0`);
  }

  const unexplained: string[] = [];
  const wrongDelta: string[] = [];
  for (const [key, rows] of rowsByAction) {
    const [row] = rows as [AuditRow];
    if (rows.length > 1) doubled.push(`${key}: ${rows.length} audit rows`);
    const record = ledger.submits.get(key);
    if (!ledger.issued.get(row.user_id)?.has(row.action_id)) unexplained.push(`${key}: ${row.action_type} never started by the suite for this user`);
    else if (!record || (record.acked.length === 0 && record.unknown === 0)) unexplained.push(`${key}: recorded although every submit was refused (${record?.refused.join(", ") ?? "none sent"})`);
    if (!isActionType(row.action_type) || ACTION_RULES[row.action_type].delta !== row.delta) wrongDelta.push(`${key}: ${row.action_type} delta ${row.delta}`);
  }
  for (const [key, record] of ledger.submits) {
    const row = rowsByAction.get(key)?.[0];
    for (const result of record.acked) {
      if (!result.replayed && row && isActionType(row.action_type) && result.delta !== ACTION_RULES[row.action_type].delta) {
        wrongDelta.push(`${key}: acknowledged delta ${result.delta}`);
      }
    }
  }

  const phantoms: string[] = [];
  for (const [userId, seen] of ledger.observed) {
    const committed = committedScores.get(userId) ?? new Set([0]);
    for (const score of seen) if (!committed.has(score)) phantoms.push(`${userId}: shown ${score}, never committed`);
  }

  const report = {
    users: users.length,
    auditRows: audit.length,
    acknowledged,
    lost,
    doubled,
    unexplained,
    wrongDelta,
    scoreMismatches,
    phantoms,
    redisDrift,
    windows,
  };
  const ok = [lost, doubled, unexplained, wrongDelta, scoreMismatches, phantoms, redisDrift].every((list) => list.length === 0) && windows.every(windowHolds);
  return { ...report, ok };
}

/** Every difference between the Redis board and Postgres, as sentences (empty: converged). */
export async function compareRedis(deps: { sql: postgres.Sql; redis: IORedis; keys: BoardKeys }): Promise<string[]> {
  const { sql, redis, keys } = deps;
  const [users, [latest]] = await Promise.all([
    sql<UserRow[]>`
      select u.id, u.hidden, u.banned, s.score::text, s.version::text,
        (extract(epoch from s.reached_at) * 1000000)::bigint::text as reached_micros, '0' as delta_sum
      from users u join scores s on s.user_id = u.id`,
    sql<{ version: string | null }[]>`select max(version)::text as version from scores`,
  ]);
  const [ready, version, applied, ranking] = await Promise.all([
    redis.exists(keys.ready),
    redis.get(keys.version),
    redis.hgetall(keys.applied),
    redis.zrange(keys.ranking, 0, -1, "WITHSCORES"),
  ]);
  const drift: string[] = [];
  if (ready !== 1) drift.push("the board is not marked ready");
  if ((version ?? "0") !== (latest?.version ?? "0")) drift.push(`board version ${version ?? "(none)"}, Postgres max(version) ${latest?.version ?? "(none)"}`);
  const scoreOf = new Map<string, string>();
  for (let i = 0; i < ranking.length; i += 2) scoreOf.set(ranking[i]!, ranking[i + 1]!);
  let visible = 0;
  for (const user of users) {
    const onBoard = !user.hidden && !user.banned;
    const member = onBoard ? boardMember(user.reached_micros, user.id) : "";
    const expected = `${user.version}|${member}`;
    if (applied[user.id] !== expected) drift.push(`${user.id}: Redis applied ${applied[user.id] ?? "(none)"}, Postgres ${expected}`);
    if (!onBoard) continue;
    visible += 1;
    const score = scoreOf.get(member);
    if (score !== user.score) drift.push(`${user.id}: Redis score ${score ?? "(none)"}, Postgres ${user.score}`);
  }
  if (scoreOf.size !== visible) drift.push(`the board holds ${scoreOf.size} members, Postgres has ${visible} visible users`);
  return drift;
}
