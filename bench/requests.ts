/**
 * What the HTTP load sends, prepared for wrk (bench/wrk.ts): the browser's own requests — its
 * client sends each call as a batch of one with an `x-trpc-source` header (src/trpc/react.tsx,
 * test/support/wire.ts `browserCall`) — and the anchor app's bare route.
 */
import { randomUUID } from "node:crypto";

import type { BoardWindow } from "../src/lib/board-windows";
import { issueActionToken } from "../src/server/scoring/token";
import { browserCall } from "../test/support/wire";
import { BARE_ROUTE_PATH } from "./anchor-app";
import type { BenchUser } from "./seed";
import type { WrkRequest } from "./wrk";

/** What wrk replays: one request over and over, or requests each meant to be sent once (`make(count)`). */
export type RequestSource = { kind: "same"; request: WrkRequest } | { kind: "fresh"; make(count: number): WrkRequest[] };

const TRPC_HEADERS = { "x-trpc-source": "nextjs-react" };
/** A started COMPLETE_TASK is submittable 2 s after start: these were started 3 s before they are prepared. */
const STARTED_AGO_MS = 3_000;

/**
 * `leaderboard.top` (limit 10) of a window's current board, anonymous, as the page asks for it
 * (all time as before windows: without a `window`, the default).
 */
export function topRead(window: BoardWindow): RequestSource {
  const input = window === "all" ? { limit: 10 } : { limit: 10, window };
  return { kind: "same", request: { method: "GET", path: browserCall("leaderboard.top", input).queryPath, headers: TRPC_HEADERS } };
}

export const bareRoute: RequestSource = { kind: "same", request: { method: "GET", path: BARE_ROUTE_PATH, headers: {} } };

/**
 * `score.submit` of a COMPLETE_TASK, each with an action id and token of its own (minted with
 * the app's key as action.start would, so no request is a replay), signed in as `users` in
 * turn. The turn carries on from one batch to the next: spread over many users, the per-user
 * rate limit (on, as in production) is not what is measured.
 */
export function submits(users: BenchUser[], tokenKey: Buffer): RequestSource {
  let next = 0;
  return {
    kind: "fresh",
    make(count) {
      const issuedAt = Date.now() - STARTED_AGO_MS;
      return Array.from({ length: count }, () => {
        const user = users[next++ % users.length]!;
        const action = issueActionToken(tokenKey, { userId: user.id, actionType: "COMPLETE_TASK", actionId: randomUUID(), issuedAt });
        const call = browserCall("score.submit", { actionId: action.actionId, token: action.token });
        return {
          method: "POST",
          path: call.mutationPath,
          headers: { ...TRPC_HEADERS, "content-type": "application/json", cookie: user.cookie },
          body: call.body,
        };
      });
    },
  };
}
