import { describe, expect, it } from "vitest";

import { parseEnv } from "./env.js";

const SECRET = "x".repeat(32);

describe("parseEnv", () => {
  it("runs on this machine's services with no configuration at all", () => {
    const env = parseEnv({});
    expect(env.DATABASE_URL).toBe("postgres://postgres@127.0.0.1:5432/scoreboard");
    expect(env.UPSTASH_REDIS_REST_URL).toBe("http://127.0.0.1:8079");
    // No well-known token: the launchers pass the local bridge's random one.
    expect(env.UPSTASH_REDIS_REST_TOKEN).toBe("");
    expect(env.REDIS_URL).toBe("redis://127.0.0.1:6379");
    expect(env.PORT).toBe(3000);
    expect(env.AUTH_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(env.GITHUB).toBeNull();
  });

  it("refuses to start a production server without a secret, naming the variable", () => {
    expect(() => parseEnv({ NODE_ENV: "production" })).toThrow(/AUTH_SECRET: is required in production/);
  });

  it("lets a production build run without the runtime secret", () => {
    expect(() => parseEnv({ NODE_ENV: "production", NEXT_PHASE: "phase-production-build" })).not.toThrow();
  });

  it("accepts next-auth's NEXTAUTH_SECRET as the secret", () => {
    expect(parseEnv({ NODE_ENV: "production", ALLOW_LOCAL_SERVICES: "1", NEXTAUTH_SECRET: SECRET }).AUTH_SECRET).toBe(SECRET);
  });

  it("names every bad variable in one message", () => {
    let message = "";
    try {
      parseEnv({ DATABASE_URL: "mysql://nope", PORT: "http", AUTH_SECRET: "short", REDIS_KEY_PREFIX: "a b" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Invalid environment variables:/);
    expect(message).toMatch(/DATABASE_URL: must be a postgres or postgresql URL/);
    expect(message).toMatch(/PORT:/);
    expect(message).toMatch(/AUTH_SECRET: must be at least 32 characters/);
    expect(message).toMatch(/REDIS_KEY_PREFIX: must be 1-64 of/);
  });

  it("requires a token for a remote Upstash database but not for the local bridge", () => {
    expect(() => parseEnv({ UPSTASH_REDIS_REST_URL: "https://eu1-example.upstash.io" })).toThrow(
      /UPSTASH_REDIS_REST_TOKEN: is required/,
    );
  });

  it("reads the names Vercel's Postgres and Upstash integrations set", () => {
    const env = parseEnv({
      POSTGRES_URL: "postgres://u:p@db.example.com:5432/app",
      KV_REST_API_URL: "https://eu1-example.upstash.io",
      KV_REST_API_TOKEN: "tok",
    });
    expect(env.DATABASE_URL).toBe("postgres://u:p@db.example.com:5432/app");
    expect(env.UPSTASH_REDIS_REST_URL).toBe("https://eu1-example.upstash.io");
    expect(env.UPSTASH_REDIS_REST_TOKEN).toBe("tok");
  });

  it("treats empty values as unset", () => {
    const env = parseEnv({ DATABASE_URL: "", ADMIN_USERNAMES: "" });
    expect(env.DATABASE_URL).toBe("postgres://postgres@127.0.0.1:5432/scoreboard");
  });

  it("refuses the retired ADMIN_USERNAMES, saying how admins are made now", () => {
    expect(() => parseEnv({ ADMIN_USERNAMES: "alice" })).toThrow(/ADMIN_USERNAMES: is retired: grant the admin role with `npm run admin -- grant <username>`/);
  });

  it("limits failed sign-ins per username to 10 per 15 minutes unless set", () => {
    expect(parseEnv({}).RATE_LIMIT_SIGNIN_USER).toBe("10/15m");
    expect(parseEnv({ RATE_LIMIT_SIGNIN_USER: "5/1h" }).RATE_LIMIT_SIGNIN_USER).toBe("5/1h");
    expect(() => parseEnv({ RATE_LIMIT_SIGNIN_USER: "10 per 15m" })).toThrow(/RATE_LIMIT_SIGNIN_USER: must look like "20\/10s"/);
  });

  it("enables GitHub sign-in only with both its variables", () => {
    expect(parseEnv({ GITHUB_ID: "id", GITHUB_SECRET: "secret" }).GITHUB).toEqual({ id: "id", secret: "secret" });
    expect(() => parseEnv({ GITHUB_ID: "id" })).toThrow(/GITHUB_SECRET: GITHUB_ID and GITHUB_SECRET must be set together/);
  });

  it("reads the direct database URL under Neon's and Vercel's names", () => {
    expect(parseEnv({ DATABASE_URL_UNPOOLED: "postgres://u:p@direct.example.com/app" }).DATABASE_URL_UNPOOLED).toBe(
      "postgres://u:p@direct.example.com/app",
    );
    expect(parseEnv({ POSTGRES_URL_NON_POOLING: "postgres://u:p@direct.example.com/app" }).DATABASE_URL_UNPOOLED).toBe(
      "postgres://u:p@direct.example.com/app",
    );
    expect(() => parseEnv({ DATABASE_POOLER: "statement" })).toThrow(/DATABASE_POOLER: must be transaction, session or none/);
  });

  it("defaults LIVE_STREAMS_PER_IP to 20 and takes only a positive whole number", () => {
    expect(parseEnv({}).LIVE_STREAMS_PER_IP).toBe(20);
    expect(parseEnv({ LIVE_STREAMS_PER_IP: "3" }).LIVE_STREAMS_PER_IP).toBe(3);
    for (const value of ["0", "-1", "2.5", "many"]) expect(() => parseEnv({ LIVE_STREAMS_PER_IP: value }), value).toThrow(/LIVE_STREAMS_PER_IP:/);
  });
});

/** What Vercel's integrations and the project's settings provide on a deployment. */
const VERCEL_DEPLOYMENT = {
  VERCEL: "1",
  VERCEL_ENV: "preview",
  VERCEL_URL: "live-scoreboard-abc123-team.vercel.app",
  NODE_ENV: "production",
  POSTGRES_URL: "postgresql://app:pw@ep-cool-dust-a1b2c3-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require",
  KV_REST_API_URL: "https://eu1-example.upstash.io",
  KV_REST_API_TOKEN: "tok",
  NEXTAUTH_SECRET: SECRET,
};

/** The error message parseEnv throws, or "" when it accepts the environment. */
function problemsWith(source: Record<string, string | undefined>) {
  try {
    parseEnv(source);
    return "";
  } catch (error) {
    return (error as Error).message;
  }
}

describe("parseEnv on Vercel", () => {
  it("runs on the integrations' variables alone, trusting the proxy's X-Forwarded-For", () => {
    const env = parseEnv(VERCEL_DEPLOYMENT);
    expect(env.DATABASE_URL).toBe(VERCEL_DEPLOYMENT.POSTGRES_URL);
    expect(env.UPSTASH_REDIS_REST_TOKEN).toBe("tok");
    expect(env.TRUST_PROXY).toBe(true);
    expect(env.VERCEL).toBe(true);
    expect(parseEnv({ ...VERCEL_DEPLOYMENT, TRUST_PROXY: "0" }).TRUST_PROXY).toBe(false);
  });

  it("derives NEXTAUTH_URL from the deployment when unset, and keeps an explicit one", () => {
    expect(parseEnv(VERCEL_DEPLOYMENT).NEXTAUTH_URL).toBe("https://live-scoreboard-abc123-team.vercel.app");
    const production = { ...VERCEL_DEPLOYMENT, VERCEL_ENV: "production", VERCEL_PROJECT_PRODUCTION_URL: "scores.example.com" };
    expect(parseEnv(production).NEXTAUTH_URL).toBe("https://scores.example.com");
    expect(parseEnv({ ...VERCEL_DEPLOYMENT, NEXTAUTH_URL: "https://pinned.example.com" }).NEXTAUTH_URL).toBe(
      "https://pinned.example.com",
    );
    expect(parseEnv({ ...VERCEL_DEPLOYMENT, VERCEL_URL: undefined }).NEXTAUTH_URL).toBeUndefined();
    expect(parseEnv({}).NEXTAUTH_URL).toBeUndefined();
  });

  it("keeps each preview branch's Redis keys apart from production's and from other branches'", () => {
    const preview = parseEnv({ ...VERCEL_DEPLOYMENT, VERCEL_GIT_COMMIT_REF: "feature/live-board" }).REDIS_KEY_PREFIX;
    expect(preview).toMatch(/^lsb:pv:feature-live-board:[0-9a-f]{6}:$/);
    expect(parseEnv({ ...VERCEL_DEPLOYMENT, VERCEL_GIT_COMMIT_REF: "feature-live-board" }).REDIS_KEY_PREFIX).not.toBe(preview);
    const long = parseEnv({ ...VERCEL_DEPLOYMENT, VERCEL_GIT_COMMIT_REF: "x".repeat(200) }).REDIS_KEY_PREFIX;
    expect(long.length).toBeLessThanOrEqual(64);
    expect(parseEnv({ ...VERCEL_DEPLOYMENT, VERCEL_ENV: "production" }).REDIS_KEY_PREFIX).toBe("lsb:");
    expect(parseEnv({ ...VERCEL_DEPLOYMENT, VERCEL_ENV: "staging", VERCEL_GIT_COMMIT_REF: "main" }).REDIS_KEY_PREFIX).toMatch(/^lsb:pv:main:/);
    expect(parseEnv({ ...VERCEL_DEPLOYMENT, REDIS_KEY_PREFIX: "mine:" }).REDIS_KEY_PREFIX).toBe("mine:");
  });

  it("names every missing service and the secret, at build time too", () => {
    const missing = { VERCEL: "1", VERCEL_ENV: "production", NODE_ENV: "production", NEXT_PHASE: "phase-production-build" };
    const message = problemsWith(missing);
    expect(message).toMatch(/DATABASE_URL: is required on a Vercel deployment: set it \(or POSTGRES_URL\)/);
    expect(message).toMatch(/UPSTASH_REDIS_REST_URL: is required on a Vercel deployment: set it \(or KV_REST_API_URL\)/);
    expect(message).toMatch(/AUTH_SECRET: is required on a Vercel deployment/);
  });

  it("refuses services on this machine, naming the variable", () => {
    expect(problemsWith({ ...VERCEL_DEPLOYMENT, POSTGRES_URL: "postgres://postgres@127.0.0.1:5432/scoreboard" })).toMatch(
      /DATABASE_URL: points at this machine \(127\.0\.0\.1\) on a Vercel deployment/,
    );
    expect(problemsWith({ ...VERCEL_DEPLOYMENT, DATABASE_URL: "postgres://postgres@localhost/scoreboard" })).toMatch(
      /DATABASE_URL: points at this machine \(localhost\)/,
    );
    expect(problemsWith({ ...VERCEL_DEPLOYMENT, UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079" })).toMatch(
      /UPSTASH_REDIS_REST_URL: points at this machine \(127\.0\.0\.1\)/,
    );
    expect(problemsWith({ ...VERCEL_DEPLOYMENT, KV_REST_API_URL: "http://0.0.0.0:8079" })).toMatch(
      /UPSTASH_REDIS_REST_URL: points at this machine \(0\.0\.0\.0\)/,
    );
    expect(problemsWith({ ...VERCEL_DEPLOYMENT, DATABASE_URL_UNPOOLED: "postgres://postgres@[::1]/app" })).toMatch(
      /DATABASE_URL_UNPOOLED: points at this machine/,
    );
  });

  it("refuses them at build time as well, and ALLOW_LOCAL_SERVICES does not help there", () => {
    const build = { ...VERCEL_DEPLOYMENT, VERCEL_ENV: undefined, NEXT_PHASE: "phase-production-build" };
    expect(problemsWith(build)).toBe("");
    expect(problemsWith({ ...build, POSTGRES_URL: "postgres://postgres@127.0.0.1/db", ALLOW_LOCAL_SERVICES: "1" })).toMatch(
      /DATABASE_URL: points at this machine/,
    );
  });

  it("lets `vercel dev` use this machine's services", () => {
    expect(problemsWith({ VERCEL: "1", VERCEL_ENV: "development" })).toBe("");
  });
});

describe("parseEnv for a production server elsewhere", () => {
  it("refuses local defaults and loopback services, and says how to run locally", () => {
    const message = problemsWith({ NODE_ENV: "production", AUTH_SECRET: SECRET });
    expect(message).toMatch(/DATABASE_URL: is required in production/);
    expect(message).toMatch(/UPSTASH_REDIS_REST_URL: is required in production/);
    expect(
      problemsWith({
        NODE_ENV: "production",
        AUTH_SECRET: SECRET,
        DATABASE_URL: "postgres://postgres@127.0.0.1:5432/scoreboard",
        UPSTASH_REDIS_REST_URL: "https://eu1-example.upstash.io",
        UPSTASH_REDIS_REST_TOKEN: "tok",
      }),
    ).toMatch(/DATABASE_URL: points at this machine \(127\.0\.0\.1\) in production \(for a local production run use `npm start`, or set ALLOW_LOCAL_SERVICES=1\)/);
  });

  it("accepts local services when the launcher says so (npm start, e2e), and at build time", () => {
    expect(problemsWith({ NODE_ENV: "production", AUTH_SECRET: SECRET, ALLOW_LOCAL_SERVICES: "1" })).toBe("");
    expect(problemsWith({ NODE_ENV: "production", NEXT_PHASE: "phase-production-build" })).toBe("");
  });

  it("accepts remote services", () => {
    const remote = {
      NODE_ENV: "production",
      AUTH_SECRET: SECRET,
      DATABASE_URL: "postgres://u:p@db.example.com:5432/app",
      UPSTASH_REDIS_REST_URL: "https://eu1-example.upstash.io",
      UPSTASH_REDIS_REST_TOKEN: "tok",
    };
    expect(problemsWith(remote)).toBe("");
    expect(parseEnv(remote).VERCEL).toBe(false);
  });
});
