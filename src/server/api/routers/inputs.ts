/**
 * Every procedure's input schema, exported so that tests hold their inputs against exactly what
 * the server parses (the fuzz tests keep an "invalid" input only if its schema refuses it). They
 * live apart from the routers because a router module loads the whole server (env, database,
 * next-auth), which the fault suite, a plain Node script, cannot; this module imports only zod
 * and constants. account.update's schema is `profileInput` (src/server/auth/profile.ts).
 */
import { z } from "zod";

import { LIVE_BOARD_SIZE } from "~/server/scoring/live-board";

export const actionStartInput = z.object({ actionType: z.string().min(1).max(64) }).strict();

/** `.strict()`: a client sending a score, delta or user id is refused outright. */
export const scoreSubmitInput = z.object({ actionId: z.uuid(), token: z.string().min(1).max(512) }).strict();

export const topInput = z.object({ limit: z.number().int().min(1).max(LIVE_BOARD_SIZE).default(10) }).default({ limit: 10 });

export const liveInput = z.object({
  limit: z.number().int().min(1).max(LIVE_BOARD_SIZE).default(10),
  // Sent by the client when it reconnects: the id of the last snapshot it received.
  lastEventId: z.string().max(32).nullish(),
});

const adminLimit = z.number().int().min(1).max(100).default(50);

/** Free text that reaches Postgres, which refuses NUL in text and jsonb: refused here, as bad input. */
const text = () => z.string().refine((value) => !value.includes("\u0000"), "must not contain NUL characters");

const adminReason = text().trim().min(3, "must be at least 3 characters").max(500, "must be at most 500 characters");

export const adminUsersInput = z.object({ query: text().trim().max(64).optional(), cursor: text().max(64).optional(), limit: adminLimit }).strict().default({ limit: 50 });

export const adjustScoreInput = z
  .object({
    userId: z.uuid(),
    delta: z
      .number()
      .int()
      .min(-1_000_000)
      .max(1_000_000)
      .refine((delta) => delta !== 0, "must not be zero"),
    reason: adminReason,
  })
  .strict();

export const setBannedInput = z.object({ userId: z.uuid(), banned: z.boolean(), reason: adminReason }).strict();

export const auditLogInput = z
  .object({
    cursor: z.number().int().positive().optional(),
    limit: adminLimit,
    userId: z.uuid().optional(),
    actionType: text().max(64).optional(),
  })
  .strict()
  .default({ limit: 50 });

export const flagsInput = z.object({ limit: adminLimit }).strict().default({ limit: 50 });
