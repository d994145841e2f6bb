import { eq, sql } from "drizzle-orm";
import { z } from "zod";

import type { Database } from "~/server/db";
import { scores, users } from "~/server/db/schema";
import type { Leaderboard } from "~/server/scoring/leaderboard";

/**
 * Display names are shown to everyone: 1–32 characters after trimming, no control or
 * invisible formatting characters (which could hide or reorder text) and no unpaired
 * surrogates (which would be stored as U+FFFD). They are always rendered as text, never as HTML.
 */
export const displayNameSchema = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(32, "must be at most 32 characters")
  .refine((name) => !/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u.test(name), "must not contain control characters");

export const profileInput = z
  .object({ displayName: displayNameSchema.optional(), hidden: z.boolean().optional() })
  .strict()
  .refine((input) => input.displayName !== undefined || input.hidden !== undefined, "nothing to change");

export type Profile = { userId: string; username: string; displayName: string; hidden: boolean };

/** Changes the user's display name and/or visibility; the board follows at once. */
export async function updateProfile(
  deps: { db: Database; leaderboard: Leaderboard },
  userId: string,
  input: z.infer<typeof profileInput>,
): Promise<Profile | null> {
  const profile = await deps.db.transaction(async (tx) => {
    const [updated] = await tx
      .update(users)
      .set({ displayName: input.displayName, hidden: input.hidden })
      .where(eq(users.id, userId))
      .returning({ userId: users.id, username: users.username, displayName: users.displayName, hidden: users.hidden });
    if (!updated) return null;
    await tx.update(scores).set({ version: sql`nextval('board_version_seq')` }).where(eq(scores.userId, userId));
    return updated;
  });
  if (profile) await deps.leaderboard.refresh([userId]);
  return profile;
}
