import { and, desc, eq, lt, sql } from "drizzle-orm";

import type { Database } from "~/server/db";
import { scoreActions } from "~/server/db/schema";

/** The audit trail, newest first, keyset-paged by row id, optionally for one user and/or action type. */
export async function auditLog(db: Database, input: { cursor?: number; limit: number; userId?: string; actionType?: string }) {
  const rows = await db
    .select({
      id: scoreActions.id,
      userId: scoreActions.userId,
      actionId: scoreActions.actionId,
      actionType: scoreActions.actionType,
      delta: scoreActions.delta,
      previousScore: scoreActions.previousScore,
      newScore: scoreActions.newScore,
      actorId: scoreActions.actorId,
      ip: scoreActions.ip,
      userAgent: scoreActions.userAgent,
      createdAt: scoreActions.createdAt,
    })
    .from(scoreActions)
    .where(
      and(
        input.cursor ? lt(scoreActions.id, input.cursor) : undefined,
        input.userId ? eq(scoreActions.userId, input.userId) : undefined,
        input.actionType ? eq(scoreActions.actionType, input.actionType) : undefined,
      ),
    )
    .orderBy(desc(scoreActions.id))
    .limit(input.limit + 1);
  const items = rows.slice(0, input.limit);
  return { items, nextCursor: rows.length > input.limit ? items.at(-1)!.id : null };
}

export type FlagKind = "REPEATED_REFUSALS" | "POINTS_RATE_OUTLIER" | "SHARED_IP";

export type Flag = { userId: string; username: string; kind: FlagKind; evidence: Record<string, unknown>; since: Date };

/**
 * Users whose behaviour looks automated, each with the evidence, computed on demand over the
 * last hour (refusals, points) and day (addresses) — index range scans on created_at:
 * - REPEATED_REFUSALS: 10+ submits refused as too fast, over a cap or with a bad token;
 * - POINTS_RATE_OUTLIER: points in the last hour above 5× the median of active users (and 200+);
 * - SHARED_IP: one address used by 4+ accounts that scored in the last day.
 */
export async function anomalyFlags(db: Database, limit: number): Promise<Flag[]> {
  const rows = await db.execute<{ user_id: string; username: string; kind: FlagKind; evidence: Record<string, unknown>; since: Date | string }>(sql`
    with refusals as (
      select user_id, sum(n)::int as refused, jsonb_object_agg(reason, n) as by_reason, min(first) as since
      from (
        select user_id, reason, count(*)::int as n, min(created_at) as first
        from action_refusals where created_at > now() - interval '1 hour'
        group by user_id, reason
      ) per_reason
      group by user_id
      having sum(n) >= 10
    ), hourly as (
      select user_id, sum(delta)::int as points, min(created_at) as since
      from score_actions
      where created_at > now() - interval '1 hour' and actor_id is null
      group by user_id
    ), median as (
      select percentile_cont(0.5) within group (order by points) as points from hourly
    ), outliers as (
      select hourly.user_id, hourly.points, median.points as median, hourly.since
      from hourly, median
      where hourly.points >= 200 and hourly.points > 5 * median.points
    ), shared_ips as (
      select ip, array_agg(distinct user_id) as user_ids, min(created_at) as since
      from score_actions
      where created_at > now() - interval '1 day' and ip is not null and actor_id is null
      group by ip
      having count(distinct user_id) >= 4
    ), flags as (
      select user_id, 'REPEATED_REFUSALS' as kind,
        jsonb_build_object('refusedLastHour', refused, 'byReason', by_reason) as evidence, since
      from refusals
      union all
      select user_id, 'POINTS_RATE_OUTLIER',
        jsonb_build_object('pointsLastHour', points, 'medianPointsLastHour', median), since
      from outliers
      union all
      select user_id, 'SHARED_IP',
        jsonb_build_object('ip', ip, 'accounts', cardinality(user_ids)), since
      from shared_ips, unnest(user_ids) as user_id
    )
    select flags.user_id, users.username, flags.kind, flags.evidence, flags.since
    from flags join users on users.id = flags.user_id
    order by flags.since desc
    limit ${limit}`);
  return rows.map((row) => ({
    userId: row.user_id,
    username: row.username,
    kind: row.kind,
    evidence: row.evidence,
    since: new Date(row.since),
  }));
}
