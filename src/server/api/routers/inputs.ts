/**
 * Every procedure's input schema, exported so that tests hold their inputs against exactly what
 * the server parses (the fuzz tests keep an "invalid" input only if its schema refuses it). They
 * live apart from the routers because a router module loads the whole server (env, database,
 * next-auth), which the fault suite, a plain Node script, cannot; this module imports only zod
 * and constants. account.update's schema is `profileInput` (src/server/auth/profile.ts).
 */
import { z } from "zod";

import { BOARD_WINDOWS, parsePeriod, type BoardWindow } from "~/lib/board-windows";
import { LIVE_BOARD_SIZE } from "~/server/scoring/live-board";

export const actionStartInput = z.object({ actionType: z.string().min(1).max(64) }).strict();

/** `.strict()`: a client sending a score, delta or user id is refused outright. */
export const scoreSubmitInput = z.object({ actionId: z.uuid(), token: z.string().min(1).max(512) }).strict();

const boardLimit = z.number().int().min(1).max(LIVE_BOARD_SIZE).default(10);
const boardWindow = z.enum(BOARD_WINDOWS).default("all");

const PERIOD_FORMAT = { day: "a UTC day as YYYY-MM-DD", week: "an ISO week as YYYY-Www" } as const;

/** A window and, optionally, one of its periods by name (`2026-11-29`, `2026-W48`), parsed into its bounds. */
const windowAndPeriod = <Shape extends z.ZodRawShape>(shape: Shape) =>
  z
    .object({ ...shape, window: boardWindow, period: z.string().max(16).optional() })
    .superRefine((input, context) => {
      const { window, period } = input as { window: BoardWindow; period?: string };
      if (period === undefined) return;
      if (window === "all") context.addIssue({ code: "custom", path: ["period"], message: "all time has no periods: choose the window day or week" });
      else if (!parsePeriod(window, period)) context.addIssue({ code: "custom", path: ["period"], message: `must be ${PERIOD_FORMAT[window]}` });
    })
    .transform((input) => {
      const { window, period } = input as { window: BoardWindow; period?: string };
      return { ...input, period: period === undefined || window === "all" ? undefined : parsePeriod(window, period)! };
    });

/** A board's top: the window's current period, or the period named (a finished one is read from Postgres). */
export const topInput = windowAndPeriod({ limit: boardLimit }).prefault({});

/** One's own standing on a window's board (the current period unless one is named). */
export const meInput = windowAndPeriod({}).prefault({});

/** The players around one's own rank on a window's current board. */
export const aroundInput = z
  .object({ radius: z.number().int().min(1).max(10).default(2), window: boardWindow })
  .strict()
  .prefault({});

export const liveInput = z.object({
  limit: boardLimit,
  window: boardWindow,
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
