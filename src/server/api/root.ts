import { leaderboardRouter } from "./routers/leaderboard";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  leaderboard: leaderboardRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side calls without HTTP, for React Server Components and tests. */
export const createCaller = createCallerFactory(appRouter);
