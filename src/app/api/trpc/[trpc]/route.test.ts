/**
 * The tRPC route's bounds on one request (PRODUCT.md, Invariants: bounded work per request),
 * through the route's own handler: batches of at most 10 calls, bodies of at most 64 KiB, refused
 * before tRPC reads or parses anything. e2e/request-limits.spec.ts holds the same through `next start`.
 * And the route's function duration against the live streams' lifetime.
 */
import { describe, expect, it } from "vitest";

import { MAX_BATCH_CALLS, MAX_BODY_BYTES } from "~/lib/request-limits";
import { SSE_SETTINGS, STREAM_CLOSE_MARGIN_MS } from "~/server/api/sse-settings";
import { countedBody } from "../../../../../test/support/request-bodies";
import { decodeReply } from "../../../../../test/support/wire";
import { GET, maxDuration, POST } from "./route";

const url = (path: string) => `http://localhost/api/trpc/${path}`;
const batchPath = (calls: number) => `${Array<string>(calls).fill("leaderboard.top").join(",")}?batch=1`;
const batchInput = (calls: number) => JSON.stringify(Object.fromEntries(Array.from({ length: calls }, (_, index) => [index, { json: { limit: 1 } }])));

async function refusal(response: Response) {
  const reply = decodeReply(response.status, await response.text());
  return { status: response.status, data: reply.ok ? null : reply.error.data };
}

/** A body that never ends, in 16 KiB chunks. */
const spaces = new Uint8Array(16 * 1024).fill(0x20);
const endlessBody = () => countedBody(() => spaces);

describe("batches", () => {
  it(`refuses more than ${MAX_BATCH_CALLS} calls in one batch with 400 INVALID_INPUT, by GET and by POST`, async () => {
    const calls = MAX_BATCH_CALLS + 1;
    const byGet = await GET(new Request(url(`${batchPath(calls)}&input=${encodeURIComponent(batchInput(calls))}`)));
    expect(await refusal(byGet)).toMatchObject({ status: 400, data: { code: "BAD_REQUEST", reason: "INVALID_INPUT" } });
    const byPost = await POST(new Request(url(batchPath(calls).replace(/leaderboard\.top/g, "score.submit")), { method: "POST", headers: { "content-type": "application/json" }, body: batchInput(calls) }));
    expect(await refusal(byPost)).toMatchObject({ status: 400, data: { code: "BAD_REQUEST", reason: "INVALID_INPUT" } });
  });
});

describe("bodies", () => {
  const tooLarge = { status: 413, data: { code: "PAYLOAD_TOO_LARGE", httpStatus: 413, reason: "PAYLOAD_TOO_LARGE" } };

  it("refuses a declared Content-Length over 64 KiB with 413 without reading the body", async () => {
    const body = endlessBody();
    const request = new Request(url("score.submit"), {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(MAX_BODY_BYTES + 1) },
      body: body.stream,
      duplex: "half",
    } as RequestInit);
    const response = await POST(request);
    expect(await refusal(response)).toMatchObject(tooLarge);
    // What the stream had buffered before anyone read it, nothing more.
    expect(body.pulled).toBeLessThanOrEqual(16 * 1024);
  });

  it("refuses a chunked body at 64 KiB, reading no further", async () => {
    const body = endlessBody();
    const response = await POST(new Request(url("score.submit"), { method: "POST", headers: { "content-type": "application/json" }, body: body.stream, duplex: "half" } as RequestInit));
    expect(await refusal(response)).toMatchObject(tooLarge);
    expect(body.pulled).toBeLessThanOrEqual(MAX_BODY_BYTES + 2 * 16 * 1024);
  });
});

describe("the function's duration", () => {
  it("ends live streams before the platform stops the function, with room to close them cleanly", () => {
    expect(maxDuration * 1000 - SSE_SETTINGS.maxDurationMs).toBeGreaterThanOrEqual(STREAM_CLOSE_MARGIN_MS);
  });
});
