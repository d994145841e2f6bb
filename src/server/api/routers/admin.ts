import { AppError } from "~/server/api/errors";
import { adminProcedure, createTRPCRouter } from "~/server/api/trpc";
import { anomalyFlags, auditLog } from "~/server/admin/audit";
import { listUsers, setBanned } from "~/server/admin/users";
import { clientIp } from "~/server/client-ip";
import { adjustScore } from "~/server/scoring/score-service";
import { adjustScoreInput, adminUsersInput, auditLogInput, flagsInput, setBannedInput } from "./inputs";

export const adminRouter = createTRPCRouter({
  users: adminProcedure
    .input(adminUsersInput)
    .query(({ ctx, input }) => listUsers(ctx.db, input)),

  adjustScore: adminProcedure
    .input(adjustScoreInput)
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
    .input(setBannedInput)
    .mutation(async ({ ctx, input }) => {
      const row = await setBanned(
        { db: ctx.db, leaderboard: ctx.scoring.leaderboard },
        { actorId: ctx.user.id, userId: input.userId, banned: input.banned, reason: input.reason },
      );
      if (!row) throw new AppError("NOT_FOUND", "No such user.");
      return row;
    }),

  auditLog: adminProcedure
    .input(auditLogInput)
    .query(({ ctx, input }) => auditLog(ctx.db, input)),

  flags: adminProcedure
    .input(flagsInput)
    .query(async ({ ctx, input }) => ({ items: await anomalyFlags(ctx.db, input.limit) })),
});
