import { AppError } from "~/server/api/errors";
import { createTRPCRouter, perUserLimit, protectedProcedure } from "~/server/api/trpc";
import { clientIp } from "~/server/client-ip";
import { submitAction } from "~/server/scoring/score-service";
import { scoreSubmitInput } from "./inputs";

export const scoreRouter = createTRPCRouter({
  submit: protectedProcedure
    .input(scoreSubmitInput)
    .use(perUserLimit("scoreSubmit"))
    .mutation(async ({ ctx, input }) => {
      const outcome = await submitAction(ctx.scoring, {
        userId: ctx.user.id,
        actionId: input.actionId,
        token: input.token,
        ip: clientIp(ctx.headers),
        userAgent: ctx.headers.get("user-agent")?.slice(0, 512) ?? null,
      });
      if (!outcome.ok) throw new AppError(outcome.reason);
      return outcome.value;
    }),
});
