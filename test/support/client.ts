/**
 * A Node client for a running Live Scoreboard that speaks what the browser speaks: next-auth's
 * credentials flow with a cookie jar, and tRPC calls in the app's wire format (./wire.ts), typed
 * from the router. Used by the e2e tests, the smoke test, the fault suite and the benchmarks.
 */
import { LiveStream } from "./live-stream";
import { decodeReply, encodeInput, queryPath, type InputOf, type OutputOf, type ProcedurePath, type Reply, type TrpcErrorData } from "./wire";

/** A tRPC error answer: the HTTP status and the spec's `reason` travel with it. */
export class TrpcCallError extends Error {
  constructor(
    readonly path: string,
    readonly status: number,
    readonly data: TrpcErrorData | undefined,
    message: string,
  ) {
    super(`${path}: HTTP ${status} ${data?.reason ?? ""} ${message}`.replace(/\s+/g, " ").trim());
  }

  get reason() {
    return this.data?.reason;
  }
}

export type ClientOptions = {
  /** Headers sent with every request (a Vercel protection bypass, a user agent). */
  headers?: Record<string, string>;
  /** Per-request timeout unless the caller passes its own signal. */
  timeoutMs?: number;
};

export type Credentials = { username: string; password: string; intent: "signin" | "signup" };

/** One browser's worth of state against one origin: its cookies. */
export class ScoreboardClient {
  readonly base: string;
  private readonly jar = new Map<string, string>();

  constructor(
    base: string,
    private readonly options: ClientOptions = {},
  ) {
    this.base = new URL(base).origin;
  }

  /** The session's cookies, e.g. for a Playwright browser context (`context.addCookies`). */
  get cookies() {
    return [...this.jar].map(([name, value]) => ({ name, value, url: this.base }));
  }

  /** The Cookie header this client sends (for callers that make their own requests). */
  get cookieHeader() {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(this.options.headers ?? {})) headers.set(name, value);
    if (this.jar.size > 0 && !headers.has("cookie")) headers.set("cookie", this.cookieHeader);
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

  /** A query or mutation; tRPC errors come back as a Reply, not thrown. */
  async call<P extends ProcedurePath>(kind: "query" | "mutation", path: P, input?: InputOf<P>, init: RequestInit = {}): Promise<Reply<OutputOf<P>>> {
    const response =
      kind === "query"
        ? await this.request(queryPath(path, input), init)
        : await this.request(`/api/trpc/${path}`, {
            ...init,
            method: "POST",
            headers: { "content-type": "application/json", ...init.headers },
            body: encodeInput(input),
          });
    return decodeReply<OutputOf<P>>(response.status, await response.text());
  }

  async query<P extends ProcedurePath>(path: P, input?: InputOf<P>): Promise<OutputOf<P>> {
    return this.unwrap(path, await this.call("query", path, input));
  }

  async mutate<P extends ProcedurePath>(path: P, input: InputOf<P>): Promise<OutputOf<P>> {
    return this.unwrap(path, await this.call("mutation", path, input));
  }

  private unwrap<T>(path: string, reply: Reply<T>): T {
    if (!reply.ok) throw new TrpcCallError(path, reply.status, reply.error.data, reply.error.message);
    return reply.data;
  }

  /** Opens `leaderboard.live` with this client's cookies. */
  live(input: InputOf<"leaderboard.live">, options?: { lastEventId?: string; keepHistory?: boolean }) {
    return LiveStream.open(this, input, options);
  }

  /**
   * next-auth's credentials flow: CSRF token and cookie, then the callback. Resolves once a
   * session cookie is set; a refusal throws with next-auth's error name (e.g. RATE_LIMITED).
   */
  async signIn(credentials: Credentials) {
    const { status, error } = await this.tryCredentials(credentials);
    if (status !== 200 || error) throw new Error(`sign-in: HTTP ${status}${error ? `, error=${error}` : ""}`);
    if (!this.cookieNames().some((name) => name.endsWith("next-auth.session-token"))) throw new Error("sign-in: no session cookie came back");
  }

  /** The same flow, returning next-auth's answer instead of throwing (for tests of refusals). */
  async tryCredentials(credentials: Credentials): Promise<{ status: number; error: string | null }> {
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
    return { status: response.status, error };
  }

  /** The signed-in user as next-auth reports it, or null. */
  async currentUser() {
    const response = await this.request("/api/auth/session");
    const session = (await response.json().catch(() => null)) as { user?: { id: string; username: string; name: string } } | null;
    return session?.user ?? null;
  }

  private cookieNames() {
    return [...this.jar.keys()];
  }
}
