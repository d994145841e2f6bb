import { describe, expect, it } from "vitest";

import { MAX_BODY_BYTES } from "~/lib/request-limits";
import { withBoundedBody } from "./request-body";
import { countedBody } from "../../../test/support/request-bodies";

/** A body in chunks of `chunkBytes`, `total` bytes in all (endless when omitted). */
function chunked(chunkBytes: number, total = Infinity) {
  return countedBody((pulled) => (pulled >= total ? null : new Uint8Array(Math.min(chunkBytes, total - pulled)).fill(0x61 + (pulled % 26))));
}

const post = (body: BodyInit | null, headers: Record<string, string> = {}) =>
  new Request("http://localhost/api/trpc/score.submit?batch=1", { method: "POST", headers: { "content-type": "application/json", ...headers }, body, duplex: "half" } as RequestInit);

describe("withBoundedBody", () => {
  it("returns a request without a body as it is", async () => {
    const request = new Request("http://localhost/api/trpc/leaderboard.top");
    expect(await withBoundedBody(request)).toBe(request);
  });

  it("passes a body of up to the limit through intact, with the request's method, URL and headers", async () => {
    for (const size of [1, 1_000, MAX_BODY_BYTES]) {
      const source = chunked(4_096, size);
      const copy = await withBoundedBody(post(source.stream, { "x-test": "kept" }));
      expect(copy).not.toBeNull();
      expect({ method: copy!.method, url: copy!.url, header: copy!.headers.get("x-test") }).toEqual({
        method: "POST",
        url: "http://localhost/api/trpc/score.submit?batch=1",
        header: "kept",
      });
      const expected = await new Response(chunked(4_096, size).stream).arrayBuffer();
      expect(Buffer.from(await copy!.arrayBuffer()).equals(Buffer.from(expected))).toBe(true);
    }
  });

  it("refuses a declared Content-Length over the limit without reading the body", async () => {
    const source = chunked(1_024);
    expect(await withBoundedBody(post(source.stream, { "content-length": String(MAX_BODY_BYTES + 1) }))).toBeNull();
    expect(source.pulled).toBeLessThanOrEqual(1_024);
  });

  it("counts the bytes of a body without a length and stops reading at the limit", async () => {
    const source = chunked(1_000);
    expect(await withBoundedBody(post(source.stream))).toBeNull();
    expect(source.pulled).toBeGreaterThan(MAX_BODY_BYTES);
    expect(source.pulled).toBeLessThanOrEqual(MAX_BODY_BYTES + 2_000);
    // One byte over is over.
    expect(await withBoundedBody(post(chunked(4_096, MAX_BODY_BYTES + 1).stream))).toBeNull();
  });

  it("takes another limit", async () => {
    expect(await withBoundedBody(post("12345"), 4)).toBeNull();
    expect(await (await withBoundedBody(post("1234"), 4))!.text()).toBe("1234");
  });
});
