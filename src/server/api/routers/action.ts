import { AppError } from "~/server/api/errors";
import { createTRPCRouter, perUserLimit, protectedProcedure } from "~/server/api/trpc";
import { startAction } from "~/server/scoring/score-service";
import { actionStartInput } from "./inputs";

export const actionRouter = createTRPCRouter({
  /** Unknown types are a BAD_REQUEST/UNKNOWN_ACTION from the rules, not a schema failure. */
  start: protectedProcedure
    .input(actionStartInput)
    .use(perUserLimit("actionStart"))
    .mutation(async ({ ctx, input }) => {
      const outcome = await startAction(ctx.scoring, { userId: ctx.user.id, actionType: input.actionType });
      if (!outcome.ok) throw new AppError(outcome.reason);
      return outcome.value;
    }),
});
