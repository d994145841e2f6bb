import { AppError } from "~/server/api/errors";
import { createTRPCRouter, protectedProcedure } from "~/server/api/trpc";
import { profileInput, updateProfile } from "~/server/auth/profile";

export const accountRouter = createTRPCRouter({
  update: protectedProcedure.input(profileInput).mutation(async ({ ctx, input }) => {
    const profile = await updateProfile({ db: ctx.db, leaderboard: ctx.scoring.leaderboard }, ctx.user.id, input);
    if (!profile) throw new AppError("NOT_FOUND", "Your account no longer exists.");
    return profile;
  }),
});
