/**
 * The Upstash REST protocol over a keep-alive connection pool (undici's Pool), for @upstash/redis.
 *
 * Why not the client's own transport: it calls the global `fetch`, and inside Next.js that is
 * Next's patched fetch (tracing spans, cache bookkeeping) around Node's fetch (WebIDL Request and
 * Response objects, an AbortSignal, a body stream per call), a cost paid on every command, and a
 * submit sends two. The pool speaks the same protocol without those layers:
 * a POST of the command as JSON, `{ result }` or `{ error }` back, `/pipeline` for batches and
 * `text/event-stream` for subscriptions. Values come back as JSON strings (no base64 round trip):
 * everything this app stores is UTF-8 text.
 */
import { errors, Redis, type Requester, type UpstashRequest, type UpstashResponse } from "@upstash/redis";
import { Pool } from "undici";

export type PooledRequesterOptions = {
  url: string;
  token: string;
  /** Network failures are retried this often, after `backoffMs`. */
  retries: number;
  backoffMs: number;
};

export function createPooledRequester(options: PooledRequesterOptions): Requester {
  const base = new URL(options.url);
  const pool = new Pool(base.origin, { connections: 64, pipelining: 1 });
  const prefix = base.pathname.replace(/\/$/, "");
  const headers = { authorization: `Bearer ${options.token}`, "content-type": "application/json" };
  let syncToken = "";

  async function send(request: UpstashRequest) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await pool.request({
          method: "POST",
          path: `${prefix}/${(request.path ?? []).join("/")}`,
          // Read your writes across Upstash's replicas, as the client's own transport does.
          headers: { ...headers, ...request.headers, ...(syncToken ? { "upstash-sync-token": syncToken } : {}) },
          body: JSON.stringify(request.body),
          signal: request.signal,
        });
      } catch (error) {
        if (attempt >= options.retries || (error as Error).name === "AbortError") throw error;
        await new Promise((resolve) => setTimeout(resolve, options.backoffMs));
      }
    }
  }

  return {
    readYourWrites: true,
    async request<TResult>(request: UpstashRequest): Promise<UpstashResponse<TResult>> {
      const response = await send(request);
      const token = response.headers["upstash-sync-token"];
      if (typeof token === "string") syncToken = token;
      if (request.isStreaming && response.statusCode === 200) {
        void readEvents(response.body, request.onMessage ?? (() => {}));
        return { result: 1 as TResult };
      }
      const text = await response.body.text();
      let body: UpstashResponse<TResult> & { error?: string };
      try {
        body = JSON.parse(text) as typeof body;
      } catch (cause) {
        throw new errors.UpstashJSONParseError(text, { cause });
      }
      if (response.statusCode >= 300) throw new errors.UpstashError(`${body.error}, command was: ${JSON.stringify(request.body)}`);
      return body;
    },
  };
}

/** A subscription's server-sent events: each `data:` line to `onMessage` (the client's own transport does the same). */
async function readEvents(body: AsyncIterable<Buffer>, onMessage: (data: string) => void) {
  let buffer = "";
  try {
    for await (const chunk of body) {
      buffer += chunk.toString("utf8");
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) if (line.startsWith("data: ")) onMessage(line.slice(6));
    }
  } catch {
    // The subscription ended (unsubscribed, or the connection dropped): the live board's poll notices.
  }
}

/**
 * An Upstash client over the pool: values as Redis sent them (a display name like "123" stays a
 * string), no telemetry headers, and concurrent commands batched into one request, as the
 * client's own constructor sets it up.
 */
export class PooledRedis extends Redis {
  constructor(options: PooledRequesterOptions) {
    super(createPooledRequester(options));
    this.opts = { automaticDeserialization: false };
    this.enableTelemetry = false;
    return this.autoPipeline();
  }
}
