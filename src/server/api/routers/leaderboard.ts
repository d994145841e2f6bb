import { tracked } from "@trpc/server";

import { admitLiveStream } from "~/server/api/board/admission";
import { AppError } from "~/server/api/errors";
import { createTRPCRouter, protectedProcedure, publicProcedure } from "~/server/api/trpc";
import { boardEventId } from "~/lib/board-windows";
import { sliceBoard, viewContent } from "~/server/scoring/live-board";
import { aroundInput, liveInput, meInput, topInput } from "./inputs";

/**
 * Over HTTP, valid `top` and `live` requests are answered by src/server/api/board/http.ts from
 * answers made once per board; these resolvers serve in-process callers (server components, tests)
 * and define the procedures' types, with the same boards and the same rules.
 */
export const leaderboardRouter = createTRPCRouter({
  top: publicProcedure
    .input(topInput)
    .query(async ({ ctx, input }) =>
      input.period ? ctx.scoring.leaderboard.top(input.window, input.limit, input.period) : sliceBoard(await ctx.liveBoards[input.window].current(), input.limit),
    ),

  /**
   * A window's board, live: the current snapshot at once (unless the client's lastEventId says it
   * already has it), then each change of its top `limit`, and the next period's board when a day
   * or week ends. Event ids are board versions (see boardEventId).
   */
  live: publicProcedure.input(liveInput).subscription(async function* ({ ctx, input, signal }) {
    // A stream that reaches tRPC over HTTP counts against its client's limit like any other. The
    // claim runs while the watch starts, so that no change is missed while Redis answers.
    const claimed = admitLiveStream(ctx.streamSlots, ctx.headers).then(
      (slot) => ({ slot }),
      (refusal: unknown) => ({ refusal }),
    );
    try {
      // The client already holds the board of this version (it rendered it, or it reconnects).
      let clientHas = input.lastEventId ?? null;
      let lastSent: string | null = null;
      for await (const board of ctx.liveBoards[input.window].watch(signal ?? new AbortController().signal)) {
        const claim = await claimed;
        if ("refusal" in claim) throw claim.refusal;
        const view = sliceBoard(board, input.limit);
        const content = viewContent(view);
        const id = boardEventId(view);
        if (id === clientHas) lastSent = content;
        clientHas = null;
        // Changes below this subscriber's top `limit` move the version but not its view.
        if (content === lastSent) continue;
        lastSent = content;
        yield tracked(id, view);
      }
    } finally {
      void claimed.then((claim) => "slot" in claim && claim.slot.release());
    }
  }),

  me: protectedProcedure.input(meInput).query(async ({ ctx, input }) => {
    const standing = await ctx.scoring.leaderboard.standing(ctx.user.id, input.window, input.period);
    if (!standing) throw new AppError("NOT_FOUND", "Your account no longer exists.");
    return standing;
  }),

  /** The players just above and below me on a window's current board, me included, and how many are on it. */
  around: protectedProcedure.input(aroundInput).query(async ({ ctx, input }) => {
    const around = await ctx.scoring.leaderboard.around(ctx.user.id, input.window, input.radius);
    if (!around) throw new AppError("NOT_FOUND", "Your account no longer exists.");
    return around;
  }),
});
