/**
 * "Top 8 %", for the browser too. The page works out my percentile from a neighbourhood read
 * (src/app/_components/board-changes.ts standingFromAround) instead of asking `leaderboard.me`
 * again, and must round as the server does: this is the server's own function, not a copy.
 * src/server/board/types.ts is of the shared layer, pure (it imports only ./board-windows), so it
 * may ship to the browser; client code names nothing of src/server, so it reaches it through here.
 */
export { percentileOf } from "~/server/board/types";
