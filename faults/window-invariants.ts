/**
 * The invariant check of the boards that reset (PRODUCT.md, Windows): for each day and ISO week
 * checked, and every user,
 *
 * - Postgres: the user's `window_scores` row holds the sum of their audit deltas
 *   (score_actions.delta) whose created_at is in the period, UTC, and there is no row for a user
 *   with no audit row in the period;
 * - Redis: the period's ranking holds every visible user with an audit row in the period once,
 *   with that sum as score and the tie-break of their `window_scores` row (reached_at), and nobody
 *   else (no user without an audit row in the period, no hidden or banned user); a period with
 *   players is marked built.
 *
 * The sums are computed here from the audit table with the bounds `periodAt` gives
 * (src/lib/board-windows.ts), not with the server's `date_trunc`, so the two computations of a
 * period are held against each other too.
 *
 * Which periods. The current day and the current ISO week are those of the moment of each
 * comparison, not of the run's start: a run may cross midnight UTC (or Monday 00:00), and then the
 * audit rows written before the boundary are in a period that is no longer current, and the
 * current one holds only what came after. So every period in which an audit row fell is checked
 * too, as long as its Redis keys are meant to exist (they expire PERIOD_KEYS_GRACE_MS after the
 * period ends; one too close to that is left out, so no key vanishes mid-comparison), and the
 * current periods are checked even when empty (their ranking must then be empty). A finished
 * period is checked only while its board is marked built: the app reads a finished period from
 * Postgres only and rebuilds only current boards, so a finished board that lost its keys (a flush
 * after the boundary) is not the app's to repair, and is reported as not checked.
 */
import type { Redis as IORedis } from "ioredis";
import type postgres from "postgres";

import { periodAt, PERIOD_WINDOWS, type Period, type PeriodWindow } from "../src/lib/board-windows";
import { boardMember, boardMemberUserId, PERIOD_KEYS_GRACE_MS } from "../src/server/redis/board-store";
import type { BoardKeys } from "../src/server/redis/keys";

/** One day's or one week's check. */
export type WindowReport = {
  window: PeriodWindow;
  /** The period's name: `2026-11-30`, `2026-W49`. */
  period: string;
  /** Current at the comparison (else finished, its Redis keys not yet expired). */
  current: boolean;
  /** Why the period's Redis board was not compared (null: it was). */
  notChecked: string | null;
  /** Users with an audit row in the period, those rows, and the sum of their deltas. */
  players: number;
  auditRows: number;
  points: number;
  /** Users whose window score (in Postgres or in Redis) falls short of their audit sum in the period. */
  lost: string[];
  /** Users whose window score exceeds their audit sum in the period, or who are twice on the ranking. */
  doubled: string[];
  /** Every difference between `window_scores` and the audit sums (the lost and doubled ones among them). */
  scoreMismatches: string[];
  /** Every difference between the Redis ranking and the audit sums (the lost and doubled ones among them). */
  redisDrift: string[];
};

/** How long before its keys expire a finished period is still compared (bounds the comparison and its convergence wait). */
const EXPIRY_MARGIN_MS = 5 * 60_000;

type PeriodRow = { board_window: PeriodWindow; start: string };
type UserPeriodRow = {
  user_id: string;
  hidden: boolean;
  banned: boolean;
  delta_sum: string | null;
  audit_rows: number | null;
  window_score: string | null;
  reached_micros: string | null;
};

/**
 * Compares every period's `window_scores` and Redis ranking with the audit table, as of `atMs`
 * (which day and week are current). The Postgres part holds once the load has stopped; the Redis
 * part may need the app's own repairs first, so the caller compares again until it converges.
 */
export async function compareWindows(deps: { sql: postgres.Sql; redis: IORedis; keys: BoardKeys }, atMs: number = Date.now()): Promise<WindowReport[]> {
  const { sql } = deps;
  // Every period an audit row or a window_scores row names, by Postgres's own reckoning.
  const named = await sql<PeriodRow[]>`
    select distinct p.board_window, to_char(date_trunc(p.board_window, a.created_at at time zone 'UTC'), 'YYYY-MM-DD') as start
    from score_actions a cross join (values ('day'), ('week')) as p(board_window)
    union
    select board_window, to_char(period_start, 'YYYY-MM-DD') from window_scores`;
  const periods = new Map<string, { period: Period; boundsDisagree: string | null }>();
  for (const window of PERIOD_WINDOWS) {
    const period = periodAt(window, atMs);
    periods.set(`${window}:${period.name}`, { period, boundsDisagree: null });
  }
  for (const row of named) {
    const startMs = Date.parse(`${row.start}T00:00:00Z`);
    const period = periodAt(row.board_window, startMs);
    if (period.resetsAt.getTime() + PERIOD_KEYS_GRACE_MS - EXPIRY_MARGIN_MS <= atMs) continue; // its keys are (nearly) gone
    const boundsDisagree =
      period.startsAt.getTime() === startMs ? null : `Postgres's date_trunc('${row.board_window}') starts a period on ${row.start}, periodAt starts ${period.name} at ${period.startsAt.toISOString()}`;
    const key = `${row.board_window}:${period.name}`;
    if (!periods.get(key)?.boundsDisagree) periods.set(key, { period, boundsDisagree });
  }
  const reports = await Promise.all([...periods.values()].map(({ period, boundsDisagree }) => comparePeriod(deps, period, atMs, boundsDisagree)));
  // Day before week, older before newer: the order the output reads best in.
  return reports.sort((a, b) => PERIOD_WINDOWS.indexOf(a.window) - PERIOD_WINDOWS.indexOf(b.window) || a.period.localeCompare(b.period));
}

async function comparePeriod(deps: { sql: postgres.Sql; redis: IORedis; keys: BoardKeys }, period: Period, atMs: number, boundsDisagree: string | null): Promise<WindowReport> {
  const { sql, redis } = deps;
  const keys = deps.keys.period(period.window, period.name);
  const current = period.startsAt.getTime() <= atMs && atMs < period.resetsAt.getTime();
  const periodStart = period.startsAt.toISOString().slice(0, 10);
  const [rows, [ready, ranking]] = await Promise.all([
    sql<UserPeriodRow[]>`
      with audit as (
        select user_id, sum(delta)::text as delta_sum, count(*)::int as audit_rows
        from score_actions
        where created_at >= ${period.startsAt} and created_at < ${period.resetsAt}
        group by user_id
      ), windowed as (
        select user_id, score::text as window_score, (extract(epoch from reached_at) * 1000000)::bigint::text as reached_micros
        from window_scores
        where board_window = ${period.window} and period_start = ${periodStart}::date
      )
      select u.id as user_id, u.hidden, u.banned, a.delta_sum, a.audit_rows, w.window_score, w.reached_micros
      from audit a full join windowed w on w.user_id = a.user_id
      join users u on u.id = coalesce(a.user_id, w.user_id)`,
    Promise.all([redis.exists(keys.ready), redis.zrange(keys.ranking, 0, -1, "WITHSCORES")]),
  ]);

  const label = `${period.window} ${period.name}`;
  const report: WindowReport = {
    window: period.window,
    period: period.name,
    current,
    notChecked: null,
    players: 0,
    auditRows: 0,
    points: 0,
    lost: [],
    doubled: [],
    scoreMismatches: boundsDisagree ? [boundsDisagree] : [],
    redisDrift: [],
  };
  /** Sorts a difference into lost or doubled by its direction (with negative adjustments it speaks of points, not of actions). */
  const direction = (sentence: string, actual: bigint, expected: bigint) => {
    if (actual < expected) report.lost.push(sentence);
    if (actual > expected) report.doubled.push(sentence);
  };

  // Postgres: window_scores against the audit sums.
  for (const row of rows) {
    const expected = BigInt(row.delta_sum ?? "0");
    if (row.audit_rows) {
      report.players += 1;
      report.auditRows += row.audit_rows;
      report.points += Number(expected);
    }
    const audit = row.audit_rows ? `audit sum ${expected} (${row.audit_rows} rows)` : "no audit row";
    if (row.window_score === null && row.audit_rows) {
      const sentence = `${row.user_id} in ${label}: no window_scores row, ${audit}`;
      report.scoreMismatches.push(sentence);
      direction(sentence, 0n, expected);
    } else if (row.window_score !== null && (!row.audit_rows || BigInt(row.window_score) !== expected)) {
      const sentence = `${row.user_id} in ${label}: window_scores ${row.window_score}, ${audit}`;
      report.scoreMismatches.push(sentence);
      direction(sentence, BigInt(row.window_score), expected);
    }
  }

  // Redis: the ranking against the same sums (a finished period only while its board is built).
  const membersOf = new Map<string, { member: string; score: string }[]>();
  for (let i = 0; i < ranking.length; i += 2) {
    const userId = boardMemberUserId(ranking[i]!);
    membersOf.set(userId, [...(membersOf.get(userId) ?? []), { member: ranking[i]!, score: ranking[i + 1]! }]);
  }
  if (!current && ready !== 1) {
    report.notChecked = `finished, and its Redis board is not built (${membersOf.size} members left): the app reads it from Postgres only`;
    return report;
  }
  if (report.players > 0 && ready !== 1) report.redisDrift.push(`${label}: the board is not marked ready, though ${report.players} users have audit rows in it`);
  const byUser = new Map(rows.map((row) => [row.user_id, row]));
  for (const row of rows) {
    if (!row.audit_rows || row.hidden || row.banned) continue;
    const expected = BigInt(row.delta_sum!);
    const held = membersOf.get(row.user_id) ?? [];
    const audit = `audit sum ${expected} (${row.audit_rows} rows)`;
    if (held.length === 0) {
      const sentence = `${row.user_id} in ${label}: not on the Redis ranking, ${audit}`;
      report.redisDrift.push(sentence);
      direction(sentence, 0n, expected);
      continue;
    }
    if (held.length > 1) {
      const sentence = `${row.user_id} in ${label}: on the Redis ranking ${held.length}× (${held.map((entry) => entry.score).join(", ")}), ${audit}`;
      report.redisDrift.push(sentence);
      report.doubled.push(sentence);
      continue;
    }
    const [entry] = held as [{ member: string; score: string }];
    if (entry.score !== String(expected)) {
      const sentence = `${row.user_id} in ${label}: Redis score ${entry.score}, ${audit}`;
      report.redisDrift.push(sentence);
      direction(sentence, BigInt(entry.score), expected);
    }
    // The tie-break: reached that window score at window_scores.reached_at, the same as the database fallback orders by.
    if (row.reached_micros !== null && entry.member !== boardMember(row.reached_micros, row.user_id)) {
      report.redisDrift.push(`${row.user_id} in ${label}: Redis member ${entry.member}, window_scores reached_at gives ${boardMember(row.reached_micros, row.user_id)}`);
    }
  }
  for (const [userId, held] of membersOf) {
    const row = byUser.get(userId);
    if (row?.audit_rows && !row.hidden && !row.banned) continue;
    const why = !row?.audit_rows ? "no audit row in the period" : row.banned ? "banned" : "hidden";
    const sentence = `${userId} in ${label}: on the Redis ranking with ${held.map((entry) => entry.score).join(", ")}, ${why}`;
    report.redisDrift.push(sentence);
    if (!row?.audit_rows) for (const entry of held) direction(sentence, BigInt(entry.score), 0n);
  }
  return report;
}

/** Whether a period's check found nothing wrong. */
export function windowHolds(report: WindowReport) {
  return report.scoreMismatches.length === 0 && report.redisDrift.length === 0 && report.lost.length === 0 && report.doubled.length === 0;
}
