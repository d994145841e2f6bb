/**
 * THE COMPARISON BASELINE, not the app's code: the score write as a typed Drizzle transaction,
 * run against the app's single statement (recordScoreChange, src/server/scoring/score-service.ts)
 * by scenarios/statement-vs-transaction.ts, which keeps it so that the choice can be measured
 * again. Same semantics as the statement: exactly once per (user, action id), per-action caps,
 * banned users refused (admin corrections excepted), the same outcomes in the same order, and the
 * same writes: the audit row, the score, and the delta added to the user's day and ISO-week rows
 * of window_scores (the periods of the audit row's time).
 */
import { and, eq, gte, sql } from "drizzle-orm";

import { periodAt, PERIOD_WINDOWS } from "../src/lib/board-windows";
import { ALL_TIME, type BoardUpdate } from "../src/server/board/types";
import type { Database } from "../src/server/db";
import { scoreActions, scores, users, windowScores } from "../src/server/db/schema";
import { capWindowStart, type RecordedChange, type ScoreChange } from "../src/server/scoring/score-service";

/**
 * Locks the user's score row, then checks, inserts the audit row and raises the score. Each
 * statement after the lock reads a snapshot taken after it was granted (read committed): every
 * committed change of this user is seen and none can commit before this one, so the replay check
 * and the cap count are exact, and a racing duplicate waits for the lock, then finds this row.
 */
export async function recordByTransaction(db: Database, change: ScoreChange): Promise<RecordedChange> {
  return db.transaction(async (tx) => {
    const [locked] = await tx
      .select({ score: scores.score, banned: users.banned, hidden: users.hidden, displayName: users.displayName })
      .from(scores)
      .innerJoin(users, eq(users.id, scores.userId))
      .where(eq(scores.userId, change.userId))
      .for("update", { of: scores });
    if (!locked) return { kind: "not-found" };
    const ofUser = eq(scoreActions.userId, change.userId);
    // Both checks in one round trip: postgres.js pipelines queries sent together on a connection.
    const [replays, used] = await Promise.all([
      tx.select({ id: scoreActions.id }).from(scoreActions).where(and(ofUser, eq(scoreActions.actionId, change.actionId))).limit(1),
      change.cap
        ? tx.$count(scoreActions, and(ofUser, eq(scoreActions.actionType, change.actionType), gte(scoreActions.createdAt, capWindowStart(change.cap.window, sql`now()`))))
        : 0,
    ]);
    if (replays.length > 0) return { kind: "replayed" };
    // Banned players cannot score; an administrator may still correct their score.
    if (locked.banned && !change.actorId) return { kind: "banned" };
    if (change.cap && used >= change.cap.limit) return { kind: "cap-reached" };

    const score = locked.score + change.delta;
    await tx.insert(scoreActions).values({
      userId: change.userId,
      actionId: change.actionId,
      actionType: change.actionType,
      delta: change.delta,
      previousScore: locked.score,
      newScore: score,
      actorId: change.actorId,
      metadata: change.metadata,
      ip: change.ip,
      userAgent: change.userAgent,
    });
    // now() is the transaction's start, so reached_at and the window rows' period and time equal
    // the audit row's created_at. The score and the window rows in one round trip (pipelined).
    const [[updated], windowed] = await Promise.all([
      tx
        .update(scores)
        .set({ score, reachedAt: sql`now()`, version: sql`nextval('board_version_seq')` })
        .where(eq(scores.userId, change.userId))
        .returning({ version: scores.version, reachedMicros: sql<string>`(extract(epoch from ${scores.reachedAt}) * 1000000)::bigint::text` }),
      tx
        .insert(windowScores)
        .values(
          PERIOD_WINDOWS.map((window) => ({
            boardWindow: window,
            periodStart: sql`date_trunc(${window}, now() at time zone 'UTC')::date`,
            userId: change.userId,
            score: change.delta,
            reachedAt: sql`now()`,
          })),
        )
        .onConflictDoUpdate({
          target: [windowScores.boardWindow, windowScores.periodStart, windowScores.userId],
          set: { score: sql`${windowScores.score} + excluded.score`, reachedAt: sql`excluded.reached_at` },
        })
        .returning({ window: windowScores.boardWindow, periodStart: windowScores.periodStart, score: windowScores.score }),
    ]);
    const write = {
      userId: change.userId,
      version: updated!.version,
      score,
      reachedMicros: updated!.reachedMicros,
      displayName: locked.displayName,
      visible: !locked.hidden && !locked.banned,
    };
    // All time first, then the day and the week, as the statement reports them.
    const periods: BoardUpdate[] = PERIOD_WINDOWS.map((window) => {
      const row = windowed.find((candidate) => candidate.window === window)!;
      return { scope: { window, period: periodAt(window, Date.parse(`${row.periodStart}T00:00:00Z`)) }, writes: [{ ...write, score: row.score }] };
    });
    return { kind: "applied", updates: [{ scope: ALL_TIME, writes: [write] }, ...periods] };
  });
}
