import { accountRouter } from "./routers/account";
import { actionRouter } from "./routers/action";
import { adminRouter } from "./routers/admin";
import { leaderboardRouter } from "./routers/leaderboard";
import { scoreRouter } from "./routers/score";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  action: actionRouter,
  score: scoreRouter,
  leaderboard: leaderboardRouter,
  account: accountRouter,
  admin: adminRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side calls without HTTP, for React Server Components and tests. */
export const createCaller = createCallerFactory(appRouter);
