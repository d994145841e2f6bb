import { eq, sql } from "drizzle-orm";
import { z } from "zod";

import type { Database } from "~/server/db";
import { scores, users } from "~/server/db/schema";
import type { Leaderboard } from "~/server/scoring/leaderboard";

const DISPLAY_NAME_MAX = 32;
/** Control and invisible formatting characters (bidi, zero-width), unpaired surrogates, line and paragraph separators. */
const HIDDEN_CHARACTER = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/**
 * Display names are shown to everyone: 1–32 characters after trimming, no control or
 * invisible formatting characters (which could hide or reorder text) and no unpaired
 * surrogates (which would be stored as U+FFFD). They are always rendered as text, never as HTML.
 */
export const displayNameSchema = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(DISPLAY_NAME_MAX, `must be at most ${DISPLAY_NAME_MAX} characters`)
  .refine((name) => !HIDDEN_CHARACTER.test(name), "must not contain control characters");

const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });

/**
 * A display name from elsewhere (a GitHub profile), made to pass displayNameSchema: control,
 * bidi and zero-width characters and lone surrogates removed, trimmed, cut to its length limit
 * between whole characters (grapheme clusters, so never inside a surrogate pair or before a
 * combining mark); `fallback` when nothing is left.
 */
export function sanitizeDisplayName(raw: string, fallback: string): string {
  let name = "";
  for (const { segment } of graphemes.segment(raw.replace(new RegExp(HIDDEN_CHARACTER, "gu"), "").trim())) {
    if (name.length + segment.length > DISPLAY_NAME_MAX) break;
    name += segment;
  }
  const parsed = displayNameSchema.safeParse(name);
  return parsed.success ? parsed.data : fallback;
}

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
