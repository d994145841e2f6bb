import { describe, expect, it } from "vitest";

import { parseEnv } from "./env.js";

const SECRET = "x".repeat(32);

describe("parseEnv", () => {
  it("runs on this machine's services with no configuration at all", () => {
    const env = parseEnv({});
    expect(env.DATABASE_URL).toBe("postgres://postgres@127.0.0.1:5432/scoreboard");
    expect(env.UPSTASH_REDIS_REST_URL).toBe("http://127.0.0.1:8079");
    expect(env.UPSTASH_REDIS_REST_TOKEN).toBe("local-dev-token");
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
    expect(parseEnv({ NODE_ENV: "production", NEXTAUTH_SECRET: SECRET }).AUTH_SECRET).toBe(SECRET);
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

  it("treats empty values as unset and reads ADMIN_USERNAMES case-insensitively", () => {
    const env = parseEnv({ DATABASE_URL: "", ADMIN_USERNAMES: " Alice, bob ,," });
    expect(env.DATABASE_URL).toBe("postgres://postgres@127.0.0.1:5432/scoreboard");
    expect([...env.ADMIN_USERNAMES]).toEqual(["alice", "bob"]);
  });

  it("enables GitHub sign-in only with both its variables", () => {
    expect(parseEnv({ GITHUB_ID: "id", GITHUB_SECRET: "secret" }).GITHUB).toEqual({ id: "id", secret: "secret" });
    expect(() => parseEnv({ GITHUB_ID: "id" })).toThrow(/GITHUB_SECRET: GITHUB_ID and GITHUB_SECRET must be set together/);
  });
});
