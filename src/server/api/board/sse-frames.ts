/**
 * The bytes of tRPC's SSE protocol (what `httpSubscriptionLink` reads), made once per event so
 * that one change costs one encoding per instance, not one per open stream. tRPC's own producer
 * (`sseStreamProducer`) writes each field line and then a blank line; sse-frames.test.ts compares
 * these frames with its output byte for byte, so a tRPC upgrade that changes the format fails a
 * test instead of breaking browsers.
 */
import superjson from "superjson";

const encoder = new TextEncoder();

/** What the client needs to know of the server's SSE settings (tRPC's `connected` event). */
export type ClientOptions = { reconnectAfterInactivityMs?: number };

/** The first event of every stream. */
export function connectedFrame(client: ClientOptions): Uint8Array {
  return encoder.encode(`event: connected\ndata: ${JSON.stringify(client)}\n\n\n`);
}

/** A `tracked(id, data)` event: the client keeps `id` and resumes from it after a reconnect. */
export function trackedFrame(id: string, data: unknown): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(superjson.serialize(data))}\nid: ${id}\n\n\n`);
}

/** Keeps proxies from cutting an idle stream, and tells the client the stream is alive. */
export const PING_FRAME: Uint8Array = encoder.encode("event: ping\ndata: \n\n\n");

/** tRPC's response headers for a stream. */
export const SSE_HEADERS = {
  "Content-Type": "text/event-stream",
  "Cache-Control": "no-cache, no-transform",
  "X-Accel-Buffering": "no",
  Connection: "keep-alive",
} as const;
