import { and, asc, eq, gt, ilike, or, sql } from "drizzle-orm";

import type { Database } from "~/server/db";
import { moderationActions, scores, users } from "~/server/db/schema";
import type { Leaderboard } from "~/server/scoring/leaderboard";

export type AdminUserRow = {
  userId: string;
  username: string;
  displayName: string;
  score: number;
  role: "user" | "admin";
  banned: boolean;
  hidden: boolean;
};

const adminRow = {
  userId: users.id,
  username: users.username,
  displayName: users.displayName,
  score: scores.score,
  role: users.role,
  banned: users.banned,
  hidden: users.hidden,
};

/** Users by username, optionally those whose username or display name contains `query`; keyset-paged. */
export async function listUsers(db: Database, input: { query?: string; cursor?: string; limit: number }) {
  const pattern = input.query ? `%${input.query.replace(/[\\%_]/g, (char) => `\\${char}`)}%` : null;
  const rows = await db
    .select(adminRow)
    .from(users)
    .innerJoin(scores, eq(scores.userId, users.id))
    .where(
      and(
        input.cursor ? gt(users.username, input.cursor) : undefined,
        pattern ? or(ilike(users.username, pattern), ilike(users.displayName, pattern)) : undefined,
      ),
    )
    .orderBy(asc(users.username))
    .limit(input.limit + 1);
  const items = rows.slice(0, input.limit);
  return { items, nextCursor: rows.length > input.limit ? items.at(-1)!.username : null };
}

export async function findAdminRow(db: Database, userId: string): Promise<AdminUserRow | null> {
  const [row] = await db.select(adminRow).from(users).innerJoin(scores, eq(scores.userId, users.id)).where(eq(users.id, userId));
  return row ?? null;
}

/**
 * Bans or unbans a user, recording who and why. A banned user leaves the board at once (the
 * row gets a new board version, so the Redis write wins over any older one) and can no longer
 * start or submit actions; unbanning puts them back with their score.
 */
export async function setBanned(
  deps: { db: Database; leaderboard: Leaderboard },
  input: { actorId: string; userId: string; banned: boolean; reason: string },
): Promise<AdminUserRow | null> {
  const changed = await deps.db.transaction(async (tx) => {
    const [user] = await tx.update(users).set({ banned: input.banned }).where(eq(users.id, input.userId)).returning({ id: users.id });
    if (!user) return false;
    await tx.update(scores).set({ version: sql`nextval('board_version_seq')` }).where(eq(scores.userId, input.userId));
    await tx.insert(moderationActions).values({
      userId: input.userId,
      actorId: input.actorId,
      action: input.banned ? "ban" : "unban",
      reason: input.reason,
    });
    return true;
  });
  if (!changed) return null;
  await deps.leaderboard.refresh([input.userId]);
  return findAdminRow(deps.db, input.userId);
}
