/**
 * next-auth's route refuses bodies over 64 KiB (PRODUCT.md, Invariants: bounded work per
 * request) before next-auth reads them. e2e/request-limits.spec.ts holds the same through `next start`.
 */
import { describe, expect, it } from "vitest";

import { MAX_BODY_BYTES } from "~/lib/request-limits";
import { countedBody } from "../../../../../test/support/request-bodies";
import { POST } from "./route";

const context = { params: Promise.resolve({ nextauth: ["callback", "credentials"] }) };

/** A form body that never ends, in 16 KiB chunks. */
const formChunk = new TextEncoder().encode(`username=${"a".repeat(16 * 1024 - 9)}`);
const endlessForm = () => countedBody(() => formChunk);

const signIn = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://localhost/api/auth/callback/credentials", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body,
    duplex: "half",
  } as RequestInit);

describe("POST /api/auth/*", () => {
  it("refuses a body over 64 KiB with a 413 JSON answer, declared or chunked, reading no further than the limit", async () => {
    for (const declared of [true, false]) {
      const body = endlessForm();
      const response = await POST(signIn(body.stream, declared ? { "content-length": String(MAX_BODY_BYTES + 1) } : {}), context);
      expect(response.status, declared ? "declared" : "chunked").toBe(413);
      expect(await response.json()).toEqual({ error: "PAYLOAD_TOO_LARGE", message: "Request bodies are limited to 64 KiB." });
      expect(body.pulled).toBeLessThanOrEqual(MAX_BODY_BYTES + 2 * 16 * 1024);
    }
  });
});
