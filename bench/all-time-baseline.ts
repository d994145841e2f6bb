/**
 * THE COMPARISON BASELINE, not the app's code: the score write as it was with one board, all time
 * only — the app's statement (changeStatement in src/server/scoring/score-service.ts) without the
 * `windowed` step that adds the delta to the user's day and ISO-week rows of window_scores, and
 * its result without the day and week boards' writes. scenarios/window-cost.ts runs it against the
 * app's write (statement + one Redis script for three boards) to measure what the windows cost a
 * submit. all-time-baseline.test.ts holds this copy to the app's statement: it may differ from it
 * by the windows only.
 */
import { sql, type SQL } from "drizzle-orm";

import { ALL_TIME } from "../src/server/board/types";
import type { Database } from "../src/server/db";
import { executePrepared } from "../src/server/db/prepared";
import type { CapWindow } from "../src/server/scoring/rules";
import { capWindowStart, DATABASE_NOW, type RecordedChange, type ScoreChange } from "../src/server/scoring/score-service";

type ChangeRow = {
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

/** As the app's `capUsed` (not exported there). */
function capUsed(userId: string, actionType: string, window: CapWindow, at: SQL): SQL {
  return sql`(select count(*)::int from score_actions
    where user_id = ${userId} and action_type = ${actionType} and created_at >= ${capWindowStart(window, at)})`;
}

/** The app's changeStatement without the window rows: lock, checks, audit row, score. */
export function allTimeStatement(change: ScoreChange, at: SQL = DATABASE_NOW): SQL {
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
      (select reached_micros from updated)::text as reached_micros`;
}

const MAX_ATTEMPTS = 20;

/** The app's recordScoreChange with allTimeStatement: the same retries and outcomes, one board's write. */
export async function recordAllTimeOnly(db: Database, change: ScoreChange, at: SQL = DATABASE_NOW): Promise<RecordedChange> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const [row] = await executePrepared<ChangeRow>(db, allTimeStatement(change, at));
    if (!row?.found) return { kind: "not-found" };
    if (!row.fresh) {
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
    return { kind: "applied", updates: [{ scope: ALL_TIME, writes: [write] }] };
  }
  throw new Error(`score change for user ${change.userId} kept conflicting after ${MAX_ATTEMPTS} attempts`);
}
