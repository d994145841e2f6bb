import { z } from "zod";

import { AppError } from "~/server/api/errors";
import { adminProcedure, createTRPCRouter } from "~/server/api/trpc";
import { anomalyFlags, auditLog } from "~/server/admin/audit";
import { listUsers, setBanned } from "~/server/admin/users";
import { clientIp } from "~/server/client-ip";
import { adjustScore } from "~/server/scoring/score-service";

const limit = z.number().int().min(1).max(100).default(50);
const reason = z.string().trim().min(3, "must be at least 3 characters").max(500, "must be at most 500 characters");

export const adminRouter = createTRPCRouter({
  users: adminProcedure
    .input(z.object({ query: z.string().trim().max(64).optional(), cursor: z.string().max(64).optional(), limit }).strict().default({ limit: 50 }))
    .query(({ ctx, input }) => listUsers(ctx.db, input)),

  adjustScore: adminProcedure
    .input(
      z
        .object({
          userId: z.uuid(),
          delta: z
            .number()
            .int()
            .min(-1_000_000)
            .max(1_000_000)
            .refine((delta) => delta !== 0, "must not be zero"),
          reason,
        })
        .strict(),
    )
    .mutation(async ({ ctx, input }) => {
      const outcome = await adjustScore(ctx.scoring, {
        actorId: ctx.user.id,
        userId: input.userId,
        delta: input.delta,
        reason: input.reason,
        ip: clientIp(ctx.headers),
        userAgent: ctx.headers.get("user-agent")?.slice(0, 512) ?? null,
      });
      if (!outcome.ok) throw new AppError(outcome.reason);
      const { userId, score, delta, rank } = outcome.value;
      return { userId, score, delta, rank };
    }),

  setBanned: adminProcedure
    .input(z.object({ userId: z.uuid(), banned: z.boolean(), reason }).strict())
    .mutation(async ({ ctx, input }) => {
      const row = await setBanned(
        { db: ctx.db, leaderboard: ctx.scoring.leaderboard },
        { actorId: ctx.user.id, userId: input.userId, banned: input.banned, reason: input.reason },
      );
      if (!row) throw new AppError("NOT_FOUND", "No such user.");
      return row;
    }),

  auditLog: adminProcedure
    .input(
      z
        .object({
          cursor: z.number().int().positive().optional(),
          limit,
          userId: z.uuid().optional(),
          actionType: z.string().max(64).optional(),
        })
        .strict()
        .default({ limit: 50 }),
    )
    .query(({ ctx, input }) => auditLog(ctx.db, input)),

  flags: adminProcedure
    .input(z.object({ limit }).strict().default({ limit: 50 }))
    .query(async ({ ctx, input }) => ({ items: await anomalyFlags(ctx.db, input.limit) })),
});
