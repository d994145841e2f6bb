/**
 * The score service: the only code that changes scores. Plain functions over their
 * dependencies (database, leaderboard, clock, token key), called by thin routers.
 */
import { randomUUID } from "node:crypto";

import { sql, type SQL } from "drizzle-orm";

import { periodAt, type PeriodWindow } from "~/lib/board-windows";
import { ALL_TIME, type BoardUpdate } from "~/server/board/types";
import type { Database } from "~/server/db";
import { executePrepared } from "~/server/db/prepared";
import { actionRefusals } from "~/server/db/schema";
import type { Leaderboard } from "./leaderboard";
import { ACTION_RULES, ADMIN_ADJUST, isActionType, type ActionType, type CapWindow } from "./rules";
import { claimedActionType, issueActionToken, verifyActionToken, type IssuedAction } from "./token";

export type ScoreDeps = {
  db: Database;
  leaderboard: Leaderboard;
  tokenKey: Buffer;
  now: () => number;
  /**
   * The database's clock, which times audit rows, caps and windows: `now()` unless a test moves
   * it (to a period boundary, say) without waiting for it.
   */
  databaseTime?: SQL;
  /** Told the outcome of every submit ("applied", "replayed" or the refusal reason), for metrics. */
  onSubmitted?: (actionType: string, outcome: string) => void;
};

export type ScoreResult = { userId: string; score: number; delta: number; rank: number | null; replayed: boolean };

export type ScoreFailure =
  | "UNKNOWN_ACTION"
  | "INVALID_TOKEN"
  | "TOKEN_EXPIRED"
  | "TOO_FAST"
  | "ACTION_CAP_REACHED"
  | "BANNED"
  | "NOT_FOUND";

export type Outcome<T> = { ok: true; value: T } | { ok: false; reason: ScoreFailure };

/** The database's own clock, the default of ScoreDeps.databaseTime. */
export const DATABASE_NOW = sql`now()`;

/** Where each kind of cap window starts, by the database's clock (`at`). */
export function capWindowStart(window: CapWindow, at: SQL): SQL {
  return window === "rolling-hour" ? sql`(${at} - interval '1 hour')` : sql`(date_trunc('day', ${at} at time zone 'UTC') at time zone 'UTC')`;
}

/** How many of one action type the user completed in the cap's window (an index range scan). */
function capUsed(userId: string, actionType: string, window: CapWindow, at: SQL): SQL {
  return sql`(select count(*)::int from score_actions
    where user_id = ${userId} and action_type = ${actionType} and created_at >= ${capWindowStart(window, at)})`;
}

/** Starts an action: refuses early what could never count (banned, cap already reached). */
export async function startAction(
  deps: ScoreDeps,
  input: { userId: string; actionType: string },
): Promise<Outcome<IssuedAction>> {
  if (!isActionType(input.actionType)) return { ok: false, reason: "UNKNOWN_ACTION" };
  const rule = ACTION_RULES[input.actionType];
  const rows = await executePrepared<{ banned: boolean; used: number }>(deps.db, sql`
    select banned, ${capUsed(input.userId, input.actionType, rule.cap.window, deps.databaseTime ?? DATABASE_NOW)} as used
    from users where id = ${input.userId}`);
  const user = rows[0];
  if (!user) return { ok: false, reason: "NOT_FOUND" };
  if (user.banned) return { ok: false, reason: "BANNED" };
  if (user.used >= rule.cap.limit) return { ok: false, reason: "ACTION_CAP_REACHED" };
  const claims = { userId: input.userId, actionType: input.actionType, actionId: randomUUID(), issuedAt: deps.now() };
  return { ok: true, value: issueActionToken(deps.tokenKey, claims) };
}

/** Refusals that a person playing normally rarely causes. */
const SUSPICIOUS = new Set<ScoreFailure>(["TOO_FAST", "ACTION_CAP_REACHED", "INVALID_TOKEN", "TOKEN_EXPIRED"]);

type SubmitInput = { userId: string; actionId: string; token: string; ip: string | null; userAgent: string | null };

/** Completes an action: verifies its token, records it exactly once, and updates the board. */
export async function submitAction(deps: ScoreDeps, input: SubmitInput): Promise<Outcome<ScoreResult>> {
  const outcome = await submitVerified(deps, input);
  if (!outcome.ok && SUSPICIOUS.has(outcome.reason)) {
    // Evidence for anomaly flags (src/server/admin/audit.ts); bounded by the per-user rate limit.
    await deps.db.insert(actionRefusals).values({ userId: input.userId, reason: outcome.reason, ip: input.ip });
  }
  if (deps.onSubmitted) {
    deps.onSubmitted(
      claimedActionType(input.token) ?? "unknown",
      outcome.ok ? (outcome.value.replayed ? "replayed" : "applied") : outcome.reason,
    );
  }
  return outcome;
}

async function submitVerified(deps: ScoreDeps, input: SubmitInput): Promise<Outcome<ScoreResult>> {
  const check = verifyActionToken(deps.tokenKey, input.token, input, deps.now());
  if (!check.ok) {
    // A retry of an action that did count (its response was lost) still gets its result.
    if (check.reason === "TOKEN_EXPIRED" && (await wasRecorded(deps.db, input.userId, input.actionId))) {
      return { ok: true, value: await replayResult(deps, input.userId) };
    }
    return check;
  }
  const { actionType } = check.claims;
  const rule = ACTION_RULES[actionType];
  return applyScoreChange(deps, {
    userId: input.userId,
    actionId: input.actionId,
    actionType,
    delta: rule.delta,
    cap: rule.cap,
    actorId: null,
    metadata: { issuedAt: new Date(check.claims.issuedAt).toISOString() },
    ip: input.ip,
    userAgent: input.userAgent,
  });
}

/** An administrator's signed correction, written through the same path and audit trail as actions. */
export async function adjustScore(
  deps: ScoreDeps,
  input: { actorId: string; userId: string; delta: number; reason: string; ip: string | null; userAgent: string | null },
): Promise<Outcome<ScoreResult>> {
  return applyScoreChange(deps, {
    userId: input.userId,
    actionId: randomUUID(),
    actionType: ADMIN_ADJUST,
    delta: input.delta,
    cap: null,
    actorId: input.actorId,
    metadata: { reason: input.reason },
    ip: input.ip,
    userAgent: input.userAgent,
  });
}

export type ScoreChange = {
  userId: string;
  actionId: string;
  actionType: ActionType | typeof ADMIN_ADJUST;
  delta: number;
  cap: { limit: number; window: CapWindow } | null;
  actorId: string | null;
  metadata: Record<string, unknown>;
  ip: string | null;
  userAgent: string | null;
};

type ChangeRow = {
  day_start: string | null;
  day_score: string | null;
  week_start: string | null;
  week_score: string | null;
  found: boolean;
  fresh: boolean;
  banned: boolean | null;
  hidden: boolean | null;
  display_name: string | null;
  replayed: boolean;
  applied: boolean;
  score: string | null;
  version: string | null;
  reached_micros: string | null;
};

/**
 * What recording one score change came to; `applied` carries the user's new state on every board
 * it changed: all time first, then the day and the ISO week the change fell in (by database time).
 */
export type RecordedChange =
  | { kind: "not-found" | "replayed" | "banned" | "cap-reached" }
  | { kind: "applied"; updates: BoardUpdate[] };

/**
 * Records one score change and publishes it. Exactly once per (user, action id): a repeat,
 * even one racing the first, returns the recorded result with `replayed: true`, `delta: 0`.
 */
export async function applyScoreChange(deps: ScoreDeps, change: ScoreChange): Promise<Outcome<ScoreResult>> {
  const recorded = await recordScoreChange(deps.db, change, deps.databaseTime);
  switch (recorded.kind) {
    case "not-found":
      return { ok: false, reason: "NOT_FOUND" };
    case "replayed":
      return { ok: true, value: await replayResult(deps, change.userId) };
    case "banned":
      return { ok: false, reason: "BANNED" };
    case "cap-reached":
      return { ok: false, reason: "ACTION_CAP_REACHED" };
  }
  const { updates } = recorded;
  const [rank] = (await deps.leaderboard.publish(updates)) ?? [undefined];
  return {
    ok: true,
    value: {
      userId: change.userId,
      score: updates[0]!.writes[0]!.score,
      delta: change.delta,
      rank: rank === undefined ? await rankFromDatabase(deps, change.userId) : rank,
      replayed: false,
    },
  };
}

/** Attempts before giving up on a user whose row keeps changing under us (it takes a burst of one user's submits). */
const MAX_ATTEMPTS = 20;

/**
 * Writes one score change to Postgres with changeStatement: one round trip, run again while its
 * snapshot was stale. Kept over a typed Drizzle transaction because it sustains several times
 * the throughput on the same database (`npm run bench`, bench/scenarios/statement-vs-transaction.ts).
 */
export async function recordScoreChange(db: Database, change: ScoreChange, at: SQL = DATABASE_NOW): Promise<RecordedChange> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const [row] = await executePrepared<ChangeRow>(db, changeStatement(change, at));
    if (!row?.found) return { kind: "not-found" };
    if (!row.fresh) {
      // Another change of this user committed after our snapshot: counts and the replay check
      // may be stale. Run again with a fresh snapshot (see changeStatement).
      await new Promise((resolve) => setTimeout(resolve, Math.random() * attempt));
      continue;
    }
    if (row.replayed) return { kind: "replayed" };
    if (row.banned && !change.actorId) return { kind: "banned" };
    if (!row.applied) return { kind: "cap-reached" };
    const write = {
      userId: change.userId,
      version: Number(row.version),
      score: Number(row.score),
      reachedMicros: row.reached_micros!,
      displayName: row.display_name!,
      visible: !row.hidden && !row.banned,
    };
    const periodWrite = (window: PeriodWindow, start: string | null, score: string | null): BoardUpdate => ({
      scope: { window, period: periodAt(window, Date.parse(`${start!}T00:00:00Z`)) },
      writes: [{ ...write, score: Number(score) }],
    });
    return {
      kind: "applied",
      updates: [{ scope: ALL_TIME, writes: [write] }, periodWrite("day", row.day_start, row.day_score), periodWrite("week", row.week_start, row.week_score)],
    };
  }
  throw new Error(`score change for user ${change.userId} kept conflicting after ${MAX_ATTEMPTS} attempts`);
}

/** A repeated action: the user's current score and rank, nothing added. */
async function replayResult(deps: ScoreDeps, userId: string): Promise<ScoreResult> {
  const standing = await deps.leaderboard.standing(userId);
  return { userId, score: standing?.score ?? 0, delta: 0, rank: standing?.rank ?? null, replayed: true };
}

async function wasRecorded(db: Database, userId: string, actionId: string) {
  const rows = await db.execute(sql`select 1 from score_actions where user_id = ${userId} and action_id = ${actionId}`);
  return rows.length > 0;
}

async function rankFromDatabase(deps: ScoreDeps, userId: string) {
  return (await deps.leaderboard.standing(userId))?.rank ?? null;
}

/**
 * One statement, so one round trip and its own transaction: lock the user's score row,
 * insert the audit row, raise the score, and add the delta to the user's score in the day and
 * the ISO week of the audit row's time (window_scores).
 *
 * Exactness under concurrency: the FOR UPDATE row (`locked`) is read at its newest version,
 * but the other reads (the cap count, the replay check) see the statement's snapshot. When
 * the snapshot's `version` equals the locked one, no change of this user committed in
 * between — every change bumps `version` — so those reads are exact and the lock keeps them
 * so until commit. Otherwise (`fresh` false) nothing is written and the caller runs the
 * statement again, and a racing duplicate of the same action then sees the first one as a
 * replay. The unique (user_id, action_id) index with ON CONFLICT DO NOTHING is the last
 * line of defence: a duplicate can never become a second row or a 500.
 */
export function changeStatement(change: ScoreChange, at: SQL = DATABASE_NOW): SQL {
  // Banned players cannot score; an administrator may still correct their score.
  const banCheck = change.actorId ? sql`` : sql`and not fresh.banned`;
  const capCheck = change.cap ? sql`and ${capUsed(change.userId, change.actionType, change.cap.window, at)} < ${change.cap.limit}` : sql``;
  return sql`
    with snapshot as (
      select version from scores where user_id = ${change.userId}
    ), locked as materialized (
      select s.score, s.version, u.banned, u.hidden, u.display_name
      from scores s join users u on u.id = s.user_id
      where s.user_id = ${change.userId}
      for update of s
    ), fresh as (
      select locked.* from locked join snapshot on snapshot.version = locked.version
    ), replay as (
      select 1 from score_actions where user_id = ${change.userId} and action_id = ${change.actionId}
    ), inserted as (
      insert into score_actions
        (user_id, action_id, action_type, delta, previous_score, new_score, actor_id, metadata, ip, user_agent, created_at)
      select ${change.userId}, ${change.actionId}, ${change.actionType}, ${change.delta}, fresh.score,
        fresh.score + ${change.delta}, ${change.actorId}, ${JSON.stringify(change.metadata)}::jsonb, ${change.ip}, ${change.userAgent}, ${at}
      from fresh
      where not exists (select 1 from replay) ${banCheck} ${capCheck}
      on conflict (user_id, action_id) do nothing
      returning new_score, created_at
    ), updated as (
      update scores set score = inserted.new_score, reached_at = inserted.created_at, version = nextval('board_version_seq')
      from inserted where scores.user_id = ${change.userId}
      returning scores.score, scores.version, (extract(epoch from scores.reached_at) * 1000000)::bigint as reached_micros
    ), windowed as (
      insert into window_scores as w (board_window, period_start, user_id, score, reached_at)
      select p.board_window, date_trunc(p.board_window, inserted.created_at at time zone 'UTC')::date, ${change.userId}, ${change.delta}, inserted.created_at
      from inserted cross join (values ('day'), ('week')) as p(board_window)
      on conflict (board_window, period_start, user_id) do update set score = w.score + excluded.score, reached_at = excluded.reached_at
      returning w.board_window, w.period_start, w.score
    )
    select
      exists (select 1 from locked) as found,
      exists (select 1 from fresh) as fresh,
      (select banned from locked) as banned,
      (select hidden from locked) as hidden,
      (select display_name from locked) as display_name,
      exists (select 1 from replay) as replayed,
      exists (select 1 from updated) as applied,
      (select score from updated)::text as score,
      (select version from updated)::text as version,
      (select reached_micros from updated)::text as reached_micros,
      (select period_start from windowed where board_window = 'day')::text as day_start,
      (select score from windowed where board_window = 'day')::text as day_score,
      (select period_start from windowed where board_window = 'week')::text as week_start,
      (select score from windowed where board_window = 'week')::text as week_score`;
}
