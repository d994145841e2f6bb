import { z } from "zod";

import { AppError } from "~/server/api/errors";
import { createTRPCRouter, protectedProcedure, publicProcedure } from "~/server/api/trpc";
import { readStandingFromDatabase, readTopFromDatabase } from "~/server/scoring/board";

export const topInput = z.object({ limit: z.number().int().min(1).max(100).default(10) }).default({ limit: 10 });

export const leaderboardRouter = createTRPCRouter({
  top: publicProcedure.input(topInput).query(({ ctx, input }) => readTopFromDatabase(ctx.db, input.limit)),

  me: protectedProcedure.query(async ({ ctx }) => {
    const standing = await readStandingFromDatabase(ctx.db, ctx.user.id);
    if (!standing) throw new AppError("NOT_FOUND", "Your account no longer exists");
    return standing;
  }),
});
