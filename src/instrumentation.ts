/**
 * Next.js instrumentation hook: runs once per server process, before it handles requests.
 *
 * Why this exists: per-IP rate limits and the audit trail read the client IP from
 * `X-Forwarded-For` (src/server/client-ip.ts). Behind a proxy that writes that header
 * (TRUST_PROXY=1, e.g. Vercel) that is right. Served directly (`next start`), Next.js passes a
 * client-sent `X-Forwarded-For` through unchanged and only fills it in when absent, so any
 * client could pick its own IP key. Without TRUST_PROXY we therefore overwrite the header on
 * every incoming request with the TCP peer address, before Next.js sees the request, by
 * wrapping `http.Server.prototype.emit` (the node:http server that `next start` and `next dev`
 * create emits "request" through it; the wrapper also covers servers created earlier).
 *
 * One gap remains that a patch here cannot close: `next start` listens before it runs this
 * hook, and requests that arrive in between are handled afterwards with their headers as the
 * client sent them. So the wrapper also stamps each request it rewrote with a per-process
 * random value (PEER_MARK_HEADER); while the patch is installed, clientIp() believes
 * `X-Forwarded-For` only on stamped requests and returns null (key "unknown") otherwise.
 *
 * The same wrapper then lets the live board answer its streams on Node's response directly
 * (installRequestHooks), with or without TRUST_PROXY.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

type Http = typeof import("node:http");
type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;

/** Events whose first argument is an incoming request. */
const REQUEST_EVENTS = new Set<string | symbol>(["request", "checkContinue", "checkExpectation", "upgrade"]);

/**
 * Process-wide state (so the patch is applied once even when Next.js loads this module more than
 * once), also read by src/server/client-ip.ts under the same Symbol.for key.
 */
const STATE = Symbol.for("live-scoreboard.peer-address");
export const PEER_MARK_HEADER = "x-scoreboard-peer-mark";

/** `mark` is null behind a trusted proxy: then nothing is rewritten and the header is believed as it came. */
export type PeerAddressState = { header: string; mark: string | null; uninstall: () => void };
const registry = globalThis as typeof globalThis & { [STATE]?: PeerAddressState };

export async function register() {
  // This exact form lets the Edge build drop the Node.js-only imports.
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const [http, { env }, { securityHeaders, STRICT_TRANSPORT_SECURITY }, { beginShutdown }, { answerBoardRequest }] = await Promise.all([
      import("node:http"),
      import("./env.js"),
      import("./lib/security-headers.js"),
      import("./server/shutdown"),
      import("./server/api/board"),
    ]);
    const headers = securityHeaders({ development: env.NODE_ENV === "development" });
    installRequestHooks(http, {
      trustProxy: env.TRUST_PROXY,
      serveDirectly: (req, res, passOn) => {
        // Answers made here skip next.config.js's headers(); Next.js sets the same values again on its own.
        for (const { key, value } of headers) res.setHeader(key, value);
        if (req.headers["x-forwarded-proto"] === "https") res.setHeader(STRICT_TRANSPORT_SECURITY.key, STRICT_TRANSPORT_SECURITY.value);
        return answerBoardRequest(req, res, passOn);
      },
    });
    // Next.js handles these signals too (closing the server); ours ends live streams first.
    process.once("SIGTERM", beginShutdown);
    process.once("SIGINT", beginShutdown);
  }
}

/** What the app sees for a request without a trusted proxy: the TCP peer is the client. */
export function usePeerAddress(req: IncomingMessage, mark: string) {
  const peer = req.socket?.remoteAddress;
  if (peer) req.headers["x-forwarded-for"] = peer;
  else delete req.headers["x-forwarded-for"];
  delete req.headers["x-real-ip"];
  delete req.headers.forwarded;
  req.headers[PEER_MARK_HEADER] = mark;
}

/**
 * Hooks every node:http server in this process (idempotent): without `trustProxy` each request
 * gets the peer address rule above; then `serveDirectly` may answer it on Node's response before
 * Next.js sees it (false: Next.js handles it) — live streams are served this way where the
 * server is ours, see src/server/api/board/node-answers.ts for why; or take it and hand it to
 * Next.js later with `passOn` (a standing read tRPC must answer). Returns an uninstall
 * function for tests.
 */
export function installRequestHooks(
  http: Http,
  {
    trustProxy,
    serveDirectly,
  }: { trustProxy: boolean; serveDirectly?: (req: IncomingMessage, res: ServerResponse, passOn: () => void) => boolean },
): () => void {
  const existing = registry[STATE];
  if (existing) return existing.uninstall;

  const mark = trustProxy ? null : crypto.randomUUID();
  const proto = http.Server.prototype;
  const original = proto.emit as Emit;
  const ownBefore = Object.hasOwn(proto, "emit");
  const patched: Emit = function (this: unknown, event, ...args) {
    if (REQUEST_EVENTS.has(event) && args[0] instanceof http.IncomingMessage) {
      if (mark) usePeerAddress(args[0], mark);
      if (event === "request" && serveDirectly?.(args[0], args[1] as ServerResponse, () => original.call(this, event, ...args))) return true;
    }
    return original.call(this, event, ...args);
  };
  proto.emit = patched;

  const uninstall = () => {
    if (proto.emit === patched) {
      // Normally `emit` is inherited from EventEmitter: remove our own property again.
      if (ownBefore) proto.emit = original;
      else delete (proto as { emit?: unknown }).emit;
    }
    if (registry[STATE]?.uninstall === uninstall) delete registry[STATE];
  };
  registry[STATE] = { header: PEER_MARK_HEADER, mark, uninstall };
  return uninstall;
}

/** Removes the hooks (tests only: the app keeps them for the life of the process). */
export function uninstallRequestHooks() {
  registry[STATE]?.uninstall();
}
