/**
 * How this app connects to Postgres, decided from the URL and the platform. Pure functions, so
 * the rules are unit-tested (connection.test.ts) and the same for the app and the migrator.
 *
 * Transaction poolers (PgBouncer in transaction mode, Supavisor on 6543, Neon's `-pooler` host)
 * hand each transaction to whichever server connection is free. Two things break there:
 * - named prepared statements (postgres.js prepares by default): turned off (`prepare: false`);
 * - session state such as `pg_advisory_lock`: the migrator therefore uses the direct URL
 *   (`migrationDatabaseUrl`). The app itself keeps no session state (one statement or one
 *   transaction per operation; live fan-out goes through Redis, not LISTEN/NOTIFY).
 */
import type { Options } from "postgres";

export type PoolerMode = "transaction" | "session" | "none";
export type Pooler = { mode: PoolerMode; reason: string };

/**
 * Which pooler, if any, a URL points at. `DATABASE_POOLER` (explicit) wins; otherwise:
 * `pgbouncer=true` in the query (Prisma's convention), a Neon `-pooler` host, or port 6543
 * (Supabase's transaction pooler) mean a transaction pooler; anything else a direct connection.
 */
export function detectPooler(databaseUrl: string, explicit?: PoolerMode): Pooler {
  if (explicit) return { mode: explicit, reason: "DATABASE_POOLER" };
  const url = new URL(databaseUrl);
  if (url.searchParams.get("pgbouncer") === "true") return { mode: "transaction", reason: "pgbouncer=true in the URL" };
  if (isNeonPoolerHost(url.hostname)) return { mode: "transaction", reason: "Neon pooler host (-pooler)" };
  if (url.port === "6543") return { mode: "transaction", reason: "port 6543 (Supabase transaction pooler)" };
  return { mode: "none", reason: "direct connection" };
}

/** Neon: `ep-cool-name-123456-pooler.us-east-2.aws.neon.tech` is the pooled twin of `ep-cool-name-123456.…`. */
function isNeonPoolerHost(hostname: string) {
  const [first] = hostname.split(".");
  return Boolean(first?.endsWith("-pooler")) && hostname.includes(".neon.");
}

/**
 * Query parameters that libpq, Prisma or PgBouncer clients read but postgres.js would send to
 * the server as settings, which Postgres refuses ("unrecognized configuration parameter").
 * Neon's connection strings carry `channel_binding=require`; postgres.js cannot bind the channel
 * (no SCRAM-SHA-256-PLUS), so in its place the server's certificate is verified
 * (`sslmode=verify-full`), which protects against the same man in the middle.
 */
export function normalizeDatabaseUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  const channelBinding = url.searchParams.get("channel_binding");
  url.searchParams.delete("pgbouncer");
  url.searchParams.delete("channel_binding");
  if (channelBinding === "require" && url.searchParams.get("sslmode") !== "disable") {
    url.searchParams.set("sslmode", "verify-full");
  }
  return url.toString();
}

export type ClientSettings = {
  /** DATABASE_POOLER, when set. */
  pooler?: PoolerMode;
  /** DATABASE_POOL_MAX, when set. */
  poolMax?: number;
  /** Running as short-lived functions (Vercel): fewer, shorter-lived connections per instance. */
  serverless: boolean;
};

/**
 * postgres.js options for the app's pool. On Vercel each function instance has its own pool
 * and many instances run at once, so it stays small (5) and drops idle connections after 5 s:
 * a suspended instance cannot run its idle timer, and the server or pooler may cut what it
 * left open (postgres.js then reconnects on the next query). A long-running server keeps 10
 * connections and a 20 s idle timeout.
 */
export function databaseClientConfig(databaseUrl: string, settings: ClientSettings) {
  const pooler = detectPooler(databaseUrl, settings.pooler);
  const options = {
    max: settings.poolMax ?? (settings.serverless ? 5 : 10),
    idle_timeout: settings.serverless ? 5 : 20,
    // A suspended Neon compute takes a moment to wake up.
    connect_timeout: settings.serverless ? 10 : 5,
    backoff: reconnectBackoffSeconds,
    prepare: pooler.mode !== "transaction",
    onnotice: () => {},
  } satisfies Options<Record<string, never>>;
  return { url: normalizeDatabaseUrl(databaseUrl), options, pooler };
}

/**
 * Seconds before a connection retries after a failed attempt. postgres.js's default grows to 20 s
 * with a retry count shared by the whole pool, and a query waiting for a connection waits that
 * long: during a database outage every request hung instead of answering DB_UNAVAILABLE, and
 * after the database came back the app stayed down until the next retry. Kept short (50 ms
 * doubling to at most 500 ms, jittered): a refused connection costs the server nothing, and each
 * attempt fails one waiting query fast.
 */
function reconnectBackoffSeconds(retries: number) {
  return (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** retries, 0.5);
}

/**
 * The URL the migrator uses: it holds a session-level advisory lock, which a transaction
 * pooler does not keep on one server connection. An explicit direct URL wins
 * (DATABASE_URL_UNPOOLED, set by Neon's Vercel integration, or POSTGRES_URL_NON_POOLING);
 * a Neon pooler host has a known direct twin; any other transaction pooler is refused.
 */
export function migrationDatabaseUrl(databaseUrl: string, opts: { unpooledUrl?: string; pooler?: PoolerMode } = {}): string {
  if (opts.unpooledUrl) return normalizeDatabaseUrl(opts.unpooledUrl);
  const pooler = detectPooler(databaseUrl, opts.pooler);
  if (pooler.mode !== "transaction") return normalizeDatabaseUrl(databaseUrl);
  const url = new URL(databaseUrl);
  if (isNeonPoolerHost(url.hostname)) {
    const [first, ...rest] = url.hostname.split(".");
    url.hostname = [first!.replace(/-pooler$/, ""), ...rest].join(".");
    return normalizeDatabaseUrl(url.toString());
  }
  throw new Error(
    `DATABASE_URL points at a transaction pooler (${pooler.reason}), where the migrator's advisory lock ` +
      "does not hold. Set DATABASE_URL_UNPOOLED (or POSTGRES_URL_NON_POOLING) to the direct connection string.",
  );
}
