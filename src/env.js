// The one place that reads configuration. Everything else imports `env` from here.
// Validation fails fast with a message naming each missing or bad variable.
import { randomBytes } from "node:crypto";
import { z } from "zod";

import { isLoopbackUrl } from "./lib/loopback.js";

const LOCAL_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/scoreboard";
const LOCAL_REDIS_REST_URL = "http://127.0.0.1:8079";
/** The local bridge's token; it listens on loopback only, so a fixed value is safe. */
export const LOCAL_REDIS_REST_TOKEN = "local-dev-token";

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
    ADMIN_USERNAMES: z
      .string()
      .default("")
      .transform(
        (value) =>
          new Set(
            value
              .split(",")
              .map((name) => name.trim().toLowerCase())
              .filter(Boolean),
          ),
      ),
    TRUST_PROXY: flag.default(false),
    RATE_LIMIT_USER: rateLimit.default("20/10s"),
    RATE_LIMIT_AUTH: rateLimit.default("10/60s"),
    RATE_LIMIT_DISABLED: flag.default(false),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** When set, GET /api/metrics requires `Authorization: Bearer <METRICS_TOKEN>`. */
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
 * @param {Record<string, string | undefined>} source
 */
export function parseEnv(source) {
  const isBuild = source.NEXT_PHASE === "phase-production-build";
  const raw = {
    ...Object.fromEntries(Object.entries(source).map(([key, value]) => [key, value === "" ? undefined : value])),
  };
  // Vercel's edge writes X-Forwarded-For itself, so there the header can be trusted.
  raw.TRUST_PROXY ??= raw.VERCEL ? "1" : undefined;
  // Platform aliases: Vercel's Postgres and Upstash integrations, and next-auth's own name.
  raw.DATABASE_URL ??= raw.POSTGRES_URL;
  raw.UPSTASH_REDIS_REST_URL ??= raw.KV_REST_API_URL;
  raw.UPSTASH_REDIS_REST_TOKEN ??= raw.KV_REST_API_TOKEN;
  raw.AUTH_SECRET ??= raw.NEXTAUTH_SECRET;

  const result = schema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  - ${issue.path.join(".") || "(env)"}: ${issue.message}`);
    throw new Error(`Invalid environment variables:\n${lines.join("\n")}`);
  }
  const parsed = result.data;

  let authSecret = parsed.AUTH_SECRET;
  if (!authSecret) {
    // A build needs no secret; a production server must never sign sessions with a made-up one.
    if (parsed.NODE_ENV === "production" && !isBuild) {
      throw new Error(
        "Invalid environment variables:\n  - AUTH_SECRET: is required in production " +
          "(set AUTH_SECRET or NEXTAUTH_SECRET, e.g. to the output of `openssl rand -base64 32`)",
      );
    }
    authSecret = developmentSecret();
  }

  return {
    ...parsed,
    AUTH_SECRET: authSecret,
    UPSTASH_REDIS_REST_TOKEN: parsed.UPSTASH_REDIS_REST_TOKEN ?? LOCAL_REDIS_REST_TOKEN,
    GITHUB: parsed.GITHUB_ID && parsed.GITHUB_SECRET ? { id: parsed.GITHUB_ID, secret: parsed.GITHUB_SECRET } : null,
  };
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
