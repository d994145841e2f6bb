// The one place that reads configuration. Everything else imports `env` from here.
// Validation fails fast with a message naming each missing or bad variable.
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";

import { LOCAL_REDIS_REST_URL } from "./lib/local-bridge-url.js";
import { isLocalOnlyUrl, isLoopbackUrl } from "./lib/loopback.js";

const LOCAL_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/scoreboard";

/** @param {string[]} protocols */
const url = (protocols) =>
  z.url({
    protocol: new RegExp(`^(${protocols.join("|")})$`),
    error: `must be a ${protocols.join(" or ")} URL`,
  });

const flag = z
  .enum(["0", "1", "true", "false"], { error: "must be 1 or 0" })
  .transform((value) => value === "1" || value === "true");

/** "<requests>/<window>", e.g. "20/10s" or "10/60s"; the window unit is ms, s, m or h. */
const rateLimit = z.string().regex(/^[1-9][0-9]{0,6}\/[1-9][0-9]{0,6}(ms|s|m|h)$/, 'must look like "20/10s"');

const schema = z
  .object({
    NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    DATABASE_URL: url(["postgres", "postgresql"]).default(LOCAL_DATABASE_URL),
    /** The direct (non-pooled) connection, for migrations; see src/server/db/connection.ts. */
    DATABASE_URL_UNPOOLED: url(["postgres", "postgresql"]).optional(),
    /** Overrides pooler detection: "transaction" turns prepared statements off. */
    DATABASE_POOLER: z.enum(["transaction", "session", "none"], { error: "must be transaction, session or none" }).optional(),
    /** Connections per app instance (default 5 on Vercel, 10 elsewhere). */
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).optional(),
    REDIS_URL: url(["redis", "rediss"]).default("redis://127.0.0.1:6379"),
    UPSTASH_REDIS_REST_URL: url(["http", "https"]).default(LOCAL_REDIS_REST_URL),
    UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9:_-]{1,64}$/, "must be 1-64 of A-Z a-z 0-9 : _ -")
      .default("lsb:"),
    AUTH_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    /** Signs action tokens; derived from AUTH_SECRET when unset. */
    ACTION_TOKEN_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    NEXTAUTH_URL: url(["http", "https"]).optional(),
    GITHUB_ID: z.string().optional(),
    GITHUB_SECRET: z.string().optional(),
    /** Retired (roles live in the database): refused, so that nobody believes it still makes admins. */
    ADMIN_USERNAMES: z
      .never({ error: "is retired: grant the admin role with `npm run admin -- grant <username>` (README, Operations) and remove it" })
      .optional(),
    TRUST_PROXY: flag.default(false),
    /** A production server may use services on this machine (npm start sets it; ignored on Vercel). */
    ALLOW_LOCAL_SERVICES: flag.default(false),
    RATE_LIMIT_USER: rateLimit.default("20/10s"),
    RATE_LIMIT_AUTH: rateLimit.default("10/60s"),
    /** Failed sign-ins per username, whatever the client IP. */
    RATE_LIMIT_SIGNIN_USER: rateLimit.default("10/15m"),
    RATE_LIMIT_DISABLED: flag.default(false),
    /** Open live streams per client IP across all instances (PRODUCT.md, Invariants: bounded work). */
    LIVE_STREAMS_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(20),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** When set, GET /api/metrics requires `Authorization: Bearer <METRICS_TOKEN>`; unset, it is 404 in production. */
    METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  })
  .superRefine((value, ctx) => {
    if (value.RATE_LIMIT_DISABLED && value.NODE_ENV === "production") {
      ctx.addIssue({ code: "custom", path: ["RATE_LIMIT_DISABLED"], message: "is refused in production" });
    }
    if (Boolean(value.GITHUB_ID) !== Boolean(value.GITHUB_SECRET)) {
      ctx.addIssue({
        code: "custom",
        path: [value.GITHUB_ID ? "GITHUB_SECRET" : "GITHUB_ID"],
        message: "GITHUB_ID and GITHUB_SECRET must be set together",
      });
    }
    if (!value.UPSTASH_REDIS_REST_TOKEN && !isLoopbackUrl(value.UPSTASH_REDIS_REST_URL)) {
      ctx.addIssue({
        code: "custom",
        path: ["UPSTASH_REDIS_REST_TOKEN"],
        message: "is required when UPSTASH_REDIS_REST_URL is not a local bridge",
      });
    }
  });

/**
 * Validates a raw environment. Exported for tests; the app uses `env` below.
 *
 * Where the app runs decides how strict it is:
 * - a Vercel deployment (`VERCEL` set, `VERCEL_ENV` not "development"), at build and at run
 *   time: Postgres, Upstash and AUTH_SECRET must be configured, and not point at this machine;
 * - a production server elsewhere (`NODE_ENV=production`, not the build): the same, unless
 *   ALLOW_LOCAL_SERVICES=1 says local services are intended (`npm start` sets it: it runs
 *   this machine's Postgres and Redis on purpose, e.g. for the e2e tests);
 * - anything else (development, tests, `next build` off Vercel): local defaults.
 * @param {Record<string, string | undefined>} source
 */
export function parseEnv(source) {
  const isBuild = source.NEXT_PHASE === "phase-production-build";
  const raw = {
    ...Object.fromEntries(Object.entries(source).map(([key, value]) => [key, value === "" ? undefined : value])),
  };
  const onVercel = Boolean(raw.VERCEL);
  const vercelDeployment = onVercel && raw.VERCEL_ENV !== "development";
  // Vercel's edge writes X-Forwarded-For itself, so there the header can be trusted.
  raw.TRUST_PROXY ??= onVercel ? "1" : undefined;
  // Platform aliases: Vercel's Postgres (Neon) and Upstash integrations, and next-auth's own name.
  raw.DATABASE_URL ??= raw.POSTGRES_URL;
  raw.DATABASE_URL_UNPOOLED ??= raw.POSTGRES_URL_NON_POOLING;
  raw.UPSTASH_REDIS_REST_URL ??= raw.KV_REST_API_URL;
  raw.UPSTASH_REDIS_REST_TOKEN ??= raw.KV_REST_API_TOKEN;
  raw.AUTH_SECRET ??= raw.NEXTAUTH_SECRET;
  // Every preview gets its own URL: derive next-auth's from the deployment when unset.
  raw.NEXTAUTH_URL ??= vercelDeployment ? vercelOrigin(raw) : undefined;
  // Previews (and custom environments) usually share production's Upstash database but not its
  // Postgres (a branch each): keep each git branch's keys apart, or one board would mix users
  // of several databases.
  const previewLike = vercelDeployment && Boolean(raw.VERCEL_ENV) && raw.VERCEL_ENV !== "production";
  raw.REDIS_KEY_PREFIX ??= previewLike ? previewKeyPrefix(raw) : undefined;
  const configured = { DATABASE_URL: raw.DATABASE_URL, UPSTASH_REDIS_REST_URL: raw.UPSTASH_REDIS_REST_URL };

  const result = schema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  - ${issue.path.join(".") || "(env)"}: ${issue.message}`);
    throw new Error(`Invalid environment variables:\n${lines.join("\n")}`);
  }
  const parsed = result.data;
  const productionServer = parsed.NODE_ENV === "production" && !isBuild && !parsed.ALLOW_LOCAL_SERVICES;

  /** @type {string[]} */
  const problems = [];
  if (vercelDeployment || productionServer) {
    const where = vercelDeployment ? "on a Vercel deployment" : "in production";
    const remedy = vercelDeployment
      ? ", which Vercel's functions cannot reach"
      : " (for a local production run use `npm start`, or set ALLOW_LOCAL_SERVICES=1)";
    const services = [
      ["DATABASE_URL", "POSTGRES_URL", `your Postgres database${vercelDeployment ? " (the Neon integration sets it)" : ""}`],
      ["UPSTASH_REDIS_REST_URL", "KV_REST_API_URL", `your Upstash Redis REST endpoint${vercelDeployment ? " (the Upstash integration sets it)" : ""}`],
    ];
    for (const [name, alias, what] of services) {
      const value = configured[/** @type {keyof typeof configured} */ (name)];
      if (!value) problems.push(`${name}: is required ${where}: set it (or ${alias}) to ${what}`);
      else if (isLocalOnlyUrl(value)) problems.push(`${name}: points at this machine (${hostOf(value)}) ${where}${remedy}`);
    }
    if (parsed.DATABASE_URL_UNPOOLED && isLocalOnlyUrl(parsed.DATABASE_URL_UNPOOLED)) {
      problems.push(`DATABASE_URL_UNPOOLED: points at this machine (${hostOf(parsed.DATABASE_URL_UNPOOLED)}) ${where}${remedy}`);
    }
  }

  let authSecret = parsed.AUTH_SECRET;
  // A local build needs no secret; a deployment's build already has its runtime variables, and a
  // production server must never sign sessions with a made-up one.
  if (!authSecret && (vercelDeployment || (parsed.NODE_ENV === "production" && !isBuild))) {
    problems.push(
      `AUTH_SECRET: is required ${vercelDeployment ? "on a Vercel deployment" : "in production"} ` +
        "(set AUTH_SECRET or NEXTAUTH_SECRET, e.g. to the output of `openssl rand -base64 32`)",
    );
  }
  if (problems.length > 0) {
    throw new Error(`Invalid environment variables:\n${problems.map((line) => `  - ${line}`).join("\n")}`);
  }
  authSecret ??= developmentSecret();

  return {
    ...parsed,
    AUTH_SECRET: authSecret,
    // Unset only for a local bridge, whose token is random: `npm run dev` / `npm start` hand Next.js
    // the bridge's own (scripts/local-bridge.ts); anything else is refused by the bridge.
    UPSTASH_REDIS_REST_TOKEN: parsed.UPSTASH_REDIS_REST_TOKEN ?? "",
    GITHUB: parsed.GITHUB_ID && parsed.GITHUB_SECRET ? { id: parsed.GITHUB_ID, secret: parsed.GITHUB_SECRET } : null,
    /** Bound into every signing key (src/server/deployment-keys.ts): production, preview or development. */
    DEPLOYMENT_ENVIRONMENT: onVercel
      ? (raw.VERCEL_TARGET_ENV ?? raw.VERCEL_ENV ?? "preview")
      : parsed.NODE_ENV === "production"
        ? "production"
        : "development",
    /** Running as Vercel Functions: many short-lived instances (small DB pools). */
    VERCEL: onVercel,
  };
}

/**
 * The deployment's public origin from Vercel's system variables: the project's production
 * domain in production, the deployment's own URL on previews.
 * @param {Record<string, string | undefined>} raw
 */
function vercelOrigin(raw) {
  const host = raw.VERCEL_ENV === "production" ? (raw.VERCEL_PROJECT_PRODUCTION_URL ?? raw.VERCEL_URL) : raw.VERCEL_URL;
  return host ? `https://${host}` : undefined;
}

/**
 * `lsb:pv:<branch>:<hash>:` for a preview: readable, unique per git branch (Neon's preview
 * branches are per git branch too), within REDIS_KEY_PREFIX's 64 characters.
 * @param {Record<string, string | undefined>} raw
 */
function previewKeyPrefix(raw) {
  const branch = raw.VERCEL_GIT_COMMIT_REF ?? raw.VERCEL_DEPLOYMENT_ID ?? raw.VERCEL_URL ?? "preview";
  const slug = branch.replace(/[^A-Za-z0-9_-]+/g, "-").slice(0, 32);
  const hash = createHash("sha256").update(branch).digest("hex").slice(0, 6);
  return `lsb:pv:${slug}:${hash}:`;
}

/** @param {string} value */
function hostOf(value) {
  return new URL(value).hostname;
}

/**
 * One random secret per process, kept in process.env because Next.js may load this module
 * more than once per process (one copy per bundle layer) and all copies must agree.
 */
function developmentSecret() {
  process.env.AUTH_SECRET ??= randomBytes(32).toString("base64url");
  return process.env.AUTH_SECRET;
}

export const env = parseEnv(process.env);

// next-auth reads NEXTAUTH_URL from process.env itself (per request): hand it the derived one.
if (env.NEXTAUTH_URL) process.env.NEXTAUTH_URL ??= env.NEXTAUTH_URL;
