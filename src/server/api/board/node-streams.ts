/**
 * `leaderboard.live` served straight on Node's HTTP response, ahead of Next.js, where the server
 * is ours (`next start`; src/instrumentation.ts hands requests here). A route handler's stream
 * passes every chunk through Next.js's web-stream plumbing — about 50 µs of CPU per event per
 * stream on this project's 2-core reference machine, and 80 KiB per open stream — while a
 * write to the response costs a fifth of that, in a sixth of the memory: what lets one instance
 * hold ten thousand viewers. The bytes are the same (./sse-frames.ts); what this path does not
 * take, the route handler serves (./http.ts), and that is the only path where Next.js is not
 * the server (a Vercel function).
 */
import type { IncomingMessage, ServerResponse } from "node:http";

import type { LiveFanOut } from "./fan-out";
import { parseLiveRequest } from "./http";
import { SSE_HEADERS } from "./sse-frames";

const LIVE_PATH = "/api/trpc/leaderboard.live";

/** Serves the request if it is a valid `leaderboard.live` request; false leaves it to Next.js. */
export function serveLiveOnNode(
  deps: { fanOut: Pick<LiveFanOut, "attach">; onServed: () => void },
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  if (req.method !== "GET" || !req.url?.startsWith(LIVE_PATH) || (req.url.length > LIVE_PATH.length && req.url[LIVE_PATH.length] !== "?")) return false;
  const header = req.headers["last-event-id"];
  const request = parseLiveRequest(new URL(req.url, "http://localhost"), typeof header === "string" ? header : null);
  if (!request) return false;

  res.writeHead(200, SSE_HEADERS);
  // Node buffers what the socket cannot take yet; past its high-water mark the client is behind.
  let saturated = false;
  const stream = deps.fanOut.attach(request.limit, request.lastEventId, {
    write(frame) {
      if (saturated) return false;
      saturated = !res.write(frame);
      return true;
    },
    end: () => res.end(),
    abort: () => res.destroy(),
  });
  res.on("drain", () => {
    saturated = false;
    stream.drained();
  });
  res.on("close", () => stream.detach());
  deps.onServed();
  return true;
}
