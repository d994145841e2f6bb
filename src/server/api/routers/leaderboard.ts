import { tracked } from "@trpc/server";

import { AppError } from "~/server/api/errors";
import { createTRPCRouter, protectedProcedure, publicProcedure } from "~/server/api/trpc";
import { viewOf } from "~/server/scoring/live";
import { liveInput, topInput } from "./inputs";

export const leaderboardRouter = createTRPCRouter({
  top: publicProcedure.input(topInput).query(({ ctx, input }) => ctx.scoring.leaderboard.top(input.limit)),

  /**
   * The board, live: the current snapshot at once (unless the client's lastEventId says it
   * already has it), then each change of its top `limit`. Event ids are board versions.
   */
  live: publicProcedure.input(liveInput).subscription(async function* ({ ctx, input, signal }) {
    // The client already holds the board of this version (it rendered it, or it reconnects).
    let clientHas = input.lastEventId ?? null;
    let lastSent: string | null = null;
    for await (const board of ctx.live.watch(signal ?? new AbortController().signal)) {
      const { snapshot, content } = viewOf(board, input.limit);
      const id = String(snapshot.version);
      if (id === clientHas) lastSent = content;
      clientHas = null;
      // Changes below this subscriber's top `limit` move the version but not its view.
      if (content === lastSent) continue;
      lastSent = content;
      yield tracked(id, snapshot);
    }
  }),

  me: protectedProcedure.query(async ({ ctx }) => {
    const standing = await ctx.scoring.leaderboard.standing(ctx.user.id);
    if (!standing) throw new AppError("NOT_FOUND", "Your account no longer exists.");
    return standing;
  }),
});
