import { actionRouter } from "./routers/action";
import { leaderboardRouter } from "./routers/leaderboard";
import { scoreRouter } from "./routers/score";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  action: actionRouter,
  score: scoreRouter,
  leaderboard: leaderboardRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side calls without HTTP, for React Server Components and tests. */
export const createCaller = createCallerFactory(appRouter);
