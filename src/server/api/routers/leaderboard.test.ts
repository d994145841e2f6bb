/**
 * leaderboard.live through tRPC itself counts against its client's LIVE_STREAMS_PER_IP like the
 * board's own streams (src/server/api/board): a request the board's parsers leave to tRPC (a
 * percent-encoded path, say) gets no stream past the limit.
 */
import { describe, expect, it } from "vitest";

import { env } from "~/env.js";
import { expectAppError } from "../../../../test/support/app-errors";
import { createCaller } from "../root";
import { contextServices, type Context } from "../trpc";


/** A caller as the HTTP handler makes one for a request from `ip` (the header is believed: no request hook in tests). */
function callerFrom(ip: string) {
  const ctx: Context = { ...contextServices(), session: null, headers: new Headers({ "x-forwarded-for": ip }) };
  return createCaller(ctx);
}

async function openStream(ip: string) {
  const iterator = (await callerFrom(ip).leaderboard.live({ limit: 3 }))[Symbol.asyncIterator]();
  await iterator.next();
  return iterator;
}

describe("leaderboard.live through tRPC", () => {
  it(`refuses a stream past LIVE_STREAMS_PER_IP (${env.LIVE_STREAMS_PER_IP}) with RATE_LIMITED, and frees the slot when a stream ends`, async () => {
    const streams = await Promise.all(Array.from({ length: env.LIVE_STREAMS_PER_IP }, () => openStream("198.51.100.201")));
    try {
      await expectAppError(openStream("198.51.100.201"), "RATE_LIMITED", "TOO_MANY_REQUESTS");
      // Another client has slots of its own.
      await (await openStream("198.51.100.202")).return?.();

      await streams.shift()!.return?.();
      await expect
        .poll(async () => {
          const stream = await openStream("198.51.100.201").catch(() => null);
          if (stream) streams.push(stream);
          return stream !== null;
        })
        .toBe(true);
    } finally {
      await Promise.all(streams.map((stream) => stream.return?.()));
    }
  });
});
