/**
 * At most LIVE_STREAMS_PER_IP open live streams per client IP across instances (PRODUCT.md,
 * Invariants), through `next start`: above it 429 RATE_LIMITED with retryAfterMs, a closed stream
 * frees its slot, a second instance counts the same streams, a spoofed X-Forwarded-For changes
 * nothing, another address has slots of its own.
 */
import { ScoreboardClient } from "../test/support/client";
import { firstLiveEvent } from "../test/support/fuzz-inputs";
import type { LiveStream } from "../test/support/live-stream";
import { queryPath, decodeReply } from "../test/support/wire";
import { expect, ownAppForThisFile, test } from "./fixtures";

const LIMIT = 3;
ownAppForThisFile({ LIVE_STREAMS_PER_IP: String(LIMIT) });

const LIVE_PATH = queryPath("leaderboard.live", { limit: 5 });

/** Opens a stream and waits for its first board. */
async function openStream(client: ScoreboardClient) {
  const stream = await client.live({ limit: 5 });
  await stream.until((board) => board, 10_000);
  return stream;
}

/**
 * Opens a stream once a slot is free: a slot freed by a client that went away is released when
 * the server sees it go, a moment after the client closed its end.
 */
async function openWhenFree(client: ScoreboardClient) {
  let stream: LiveStream | null = null;
  await expect
    .poll(async () => (stream = await openStream(client).catch(() => null)) !== null, { timeout: 5_000, intervals: [50, 100, 200] })
    .toBe(true);
  return stream!;
}

/** A stream request that must be refused: its status and error data. */
async function refusedStream(client: ScoreboardClient, headers: Record<string, string> = {}) {
  const response = await client.request(LIVE_PATH, { headers: { accept: "text/event-stream", ...headers } });
  if (response.ok) {
    await response.body?.cancel();
    return { status: response.status, data: null };
  }
  const reply = decodeReply(response.status, await response.text());
  return { status: response.status, data: reply.ok ? null : reply.error.data };
}

const rateLimited = { status: 429, data: { code: "TOO_MANY_REQUESTS", reason: "RATE_LIMITED", retryAfterMs: expect.any(Number) } };

test(`a client IP gets ${LIMIT} live streams, the next is 429 RATE_LIMITED with retryAfterMs, and closing one frees a slot`, async ({ baseURL }) => {
  const client = new ScoreboardClient(baseURL!);
  const streams: LiveStream[] = [];
  try {
    for (let i = 0; i < LIMIT; i++) streams.push(await openWhenFree(client));
    const refused = await refusedStream(client);
    expect(refused).toMatchObject(rateLimited);
    expect(refused.data!.retryAfterMs).toBeGreaterThan(0);
    // The client cannot pick another IP key by claiming one.
    expect(await refusedStream(client, { "x-forwarded-for": "203.0.113.9", "x-real-ip": "203.0.113.9" })).toMatchObject(rateLimited);
    // A path only tRPC recognises reaches the procedure itself, which counts the same: its stream carries the refusal, no board.
    const viaTrpc = await client.request(LIVE_PATH.replace("leaderboard.live", "leaderboard%2Elive"), { headers: { accept: "text/event-stream" } });
    expect(await firstLiveEvent(viaTrpc)).toMatch(/^an error: .*RATE_LIMITED/);
    // Another address of the client's (IPv6 loopback) is another client.
    const other = await openStream(new ScoreboardClient(baseURL!.replace("127.0.0.1", "[::1]")));
    other.close();

    streams.shift()!.close();
    streams.push(await openWhenFree(client));
    expect(await refusedStream(client)).toMatchObject(rateLimited);
  } finally {
    for (const stream of streams) stream.close();
  }
});

test("the limit holds across instances, and a slot freed on one is free on the other", async ({ baseURL, startInstance }) => {
  const second = await startInstance();
  const first = new ScoreboardClient(baseURL!);
  const onSecond = new ScoreboardClient(second.url);
  const streams: LiveStream[] = [];
  try {
    for (let i = 0; i < LIMIT - 1; i++) streams.push(await openWhenFree(first));
    streams.push(await openWhenFree(onSecond));
    expect(await refusedStream(first)).toMatchObject(rateLimited);
    expect(await refusedStream(onSecond)).toMatchObject(rateLimited);

    streams.shift()!.close();
    streams.push(await openWhenFree(onSecond));
    expect(await refusedStream(first)).toMatchObject(rateLimited);
  } finally {
    for (const stream of streams) stream.close();
  }
});
