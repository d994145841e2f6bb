/**
 * A Node client for a running Live Scoreboard that speaks exactly what the browser speaks:
 * next-auth's credentials flow with a cookie jar, tRPC queries and mutations in superjson
 * envelopes (no batching), and the SSE stream tRPC's httpSubscriptionLink opens. Used by the
 * smoke test, the benchmarks and the fault suite, so all three exercise the real wire format.
 */

export type TrpcErrorData = { code?: string; reason?: string; httpStatus?: number; retryAfterMs?: number };
export type BoardEntry = { rank: number; userId: string; displayName: string; score: number };
export type Board = { entries: BoardEntry[]; version: number };
export type StartedAction = { actionId: string; token: string; actionType: string; issuedAt: string; minCompleteAt: string };
export type SubmitResult = { userId: string; score: number; delta: number; rank: number | null; replayed: boolean };

/** A tRPC error answer: the HTTP status and the spec's `reason` travel with it. */
export class TrpcCallError extends Error {
  constructor(
    readonly path: string,
    readonly status: number,
    readonly data: TrpcErrorData | undefined,
    message: string,
  ) {
    super(`${path}: HTTP ${status} ${data?.reason ?? data?.code ?? ""} ${message}`.replace(/\s+/g, " "));
  }
}

export type SessionOptions = {
  /** Headers sent with every request (a Vercel protection bypass, a user agent). */
  headers?: Record<string, string>;
  /** Per-request timeout unless the caller passes its own signal. */
  timeoutMs?: number;
};

/** One browser's worth of state against one origin: its cookies. */
export class ScoreboardSession {
  readonly base: string;
  private readonly jar = new Map<string, string>();

  constructor(
    base: string,
    private readonly options: SessionOptions = {},
  ) {
    this.base = new URL(base).origin;
  }

  get cookieNames() {
    return [...this.jar.keys()];
  }

  /** The Cookie header this session sends (for clients that make their own requests). */
  get cookieHeader() {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(this.options.headers ?? {})) headers.set(name, value);
    if (this.jar.size > 0) headers.set("cookie", this.cookieHeader);
    const response = await fetch(`${this.base}${path}`, {
      ...init,
      headers,
      redirect: "manual",
      signal: init.signal ?? AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const expired = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute));
      if (expired) this.jar.delete(name);
      else this.jar.set(name, pair.slice(eq + 1).trim());
    }
    return response;
  }

  /** A tRPC query or mutation as @trpc/client sends it; a tRPC error throws TrpcCallError. */
  async trpc<T>(kind: "query" | "mutation", path: string, input?: unknown): Promise<T> {
    const envelope = JSON.stringify({ json: input ?? null });
    const response =
      kind === "query"
        ? await this.request(`/api/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(envelope)}`}`)
        : await this.request(`/api/trpc/${path}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: envelope,
          });
    const body = (await response.json().catch(() => null)) as {
      result?: { data: { json: T } };
      error?: { json: { message: string; data?: TrpcErrorData } };
    } | null;
    if (body?.error) throw new TrpcCallError(path, response.status, body.error.json.data, body.error.json.message);
    if (!response.ok || !body?.result) throw new TrpcCallError(path, response.status, undefined, "not a tRPC answer");
    return body.result.data.json;
  }

  /**
   * next-auth's credentials flow: CSRF token and cookie, then the callback. Resolves once a
   * session cookie is set; a refusal throws with next-auth's error name (e.g. RATE_LIMITED).
   */
  async signIn(credentials: { username: string; password: string; intent: "signin" | "signup" }) {
    const csrf = await this.request("/api/auth/csrf");
    const { csrfToken } = (await csrf.json().catch(() => ({}))) as { csrfToken?: string };
    if (!csrf.ok || !csrfToken) throw new Error(`GET /api/auth/csrf: HTTP ${csrf.status}`);
    const response = await this.request("/api/auth/callback/credentials", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrfToken, ...credentials, callbackUrl: this.base, json: "true" }),
    });
    const body = (await response.json().catch(() => null)) as { url?: string } | null;
    const error = body?.url ? new URL(body.url, this.base).searchParams.get("error") : null;
    if (!response.ok || error) throw new Error(`sign-in: HTTP ${response.status}, ${error ? `error=${error}` : JSON.stringify(body)}`);
    if (!this.cookieNames.some((name) => name.endsWith("next-auth.session-token"))) throw new Error("sign-in: no session cookie came back");
  }

  /** The signed-in user as next-auth reports it, or null. */
  async currentUser() {
    const response = await this.request("/api/auth/session");
    const session = (await response.json().catch(() => null)) as { user?: { id: string; username: string } } | null;
    return session?.user ?? null;
  }
}

type Snapshot = { board: Board; id: string | undefined; at: number };

/**
 * One `leaderboard.live` SSE stream, read the way httpSubscriptionLink's EventSource reads it:
 * `data:`/`id:` events carry snapshots; `connected`, `ping` and comments are bookkeeping. It is
 * read continuously from the moment it opens, so every snapshot has its true arrival time.
 */
export class LiveStream {
  private readonly abort = new AbortController();
  private readonly snapshots: Snapshot[] = [];
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  /** Called for every snapshot as it arrives (for clients that measure rather than wait). */
  onSnapshot: ((snapshot: Snapshot) => void) | null = null;

  constructor(
    private readonly session: ScoreboardSession,
    /** Keep every snapshot for until(); a long-running subscriber turns this off. */
    private readonly keepHistory = true,
  ) {}

  /** Opens the stream; `lastEventId` resumes as EventSource does after a reconnect. */
  async open(input: unknown, lastEventId?: string) {
    const query = encodeURIComponent(JSON.stringify({ json: input }));
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
    const response = await this.session.request(`/api/trpc/leaderboard.live?input=${query}`, {
      headers,
      signal: this.abort.signal,
    });
    const type = response.headers.get("content-type") ?? "";
    if (!response.ok || !type.startsWith("text/event-stream")) {
      throw new Error(`leaderboard.live: HTTP ${response.status} ${type || "(no content type)"}`);
    }
    void this.pump(response.body!.pipeThrough(new TextDecoderStream()).getReader());
  }

  /** Set once the stream has ended or failed. */
  get error() {
    return this.failure;
  }

  private async pump(reader: ReadableStreamDefaultReader<string>) {
    let buffer = "";
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) throw new Error("the live stream closed");
        buffer += chunk.value.replaceAll("\r\n", "\n");
        for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
          const event = parseEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (event.event === "serialized-error") throw new Error(`leaderboard.live sent an error: ${event.data}`);
          if (event.event === "return") throw new Error("leaderboard.live ended the stream");
          if (event.event || event.data === undefined) continue;
          const snapshot = { board: (JSON.parse(event.data) as { json: Board }).json, id: event.id, at: performance.now() };
          if (this.keepHistory) this.snapshots.push(snapshot);
          this.onSnapshot?.(snapshot);
          this.wake?.();
        }
      }
    } catch (error) {
      this.failure = this.abort.signal.aborted ? new Error("the live stream was closed") : (error as Error);
      this.wake?.();
    }
  }

  /** The first snapshot (from the start of the stream) that `accept` takes, waiting up to `timeoutMs`. */
  async until<T>(accept: (board: Board, id: string | undefined) => T | undefined, timeoutMs: number) {
    const deadline = performance.now() + timeoutMs;
    for (let seen = 0; ; ) {
      for (; seen < this.snapshots.length; seen += 1) {
        const { board, id, at } = this.snapshots[seen]!;
        const value = accept(board, id);
        if (value !== undefined) return { value, at };
      }
      if (this.failure) throw this.failure;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no matching live update within ${timeoutMs} ms`);
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
      this.wake = null;
    }
  }

  close() {
    this.abort.abort();
  }
}

function parseEvent(block: string) {
  const event: { event?: string; data?: string; id?: string } = {};
  for (const line of block.split("\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const field = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event.event = value;
    else if (field === "data") event.data = event.data === undefined ? value : `${event.data}\n${value}`;
    else if (field === "id") event.id = value;
  }
  return event;
}
