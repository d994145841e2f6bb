/**
 * Request bodies bounded before anything parses them (PRODUCT.md, Invariants: bounded work): the
 * tRPC and next-auth routes read a body through here, and one over MAX_BODY_BYTES is refused
 * (413) without being read to its end. A declared Content-Length over the limit is refused
 * unread; without one (chunked), bytes are counted as they arrive and reading stops at the limit.
 */
import { NextRequest } from "next/server";

import { MAX_BODY_BYTES } from "~/lib/request-limits";

export const BODY_TOO_LARGE_MESSAGE = `Request bodies are limited to ${MAX_BODY_BYTES / 1024} KiB.`;

/**
 * The request with its body read into memory, or null when the body is over `limit` bytes. A
 * request without a body is returned as it is. The copy is a NextRequest, as route handlers get
 * (next-auth reads `nextUrl`).
 */
export async function withBoundedBody(req: Request, limit = MAX_BODY_BYTES): Promise<Request | null> {
  if (!req.body) return req;
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    await req.body.cancel().catch(() => {});
    return null;
  }
  const body = await readAtMost(req.body, limit);
  if (!body) return null;
  return new NextRequest(req.url, { method: req.method, headers: req.headers, body, signal: req.signal });
}

/** The whole stream if it holds at most `limit` bytes; null (and the rest left unread) otherwise. */
async function readAtMost(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
