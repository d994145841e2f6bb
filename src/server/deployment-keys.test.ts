import { randomBytes } from "node:crypto";

import { decode, encode } from "next-auth/jwt";
import { describe, expect, it } from "vitest";

import { parseEnv } from "~/env.js";
import { sessionSecret } from "./deployment-keys";

const authSecret = randomBytes(32).toString("base64url");

describe("sessionSecret", () => {
  it("is not AUTH_SECRET itself, is stable, and differs per deployment environment", () => {
    const production = sessionSecret(authSecret, "production");
    expect(production).not.toBe(authSecret);
    expect(sessionSecret(authSecret, "production")).toBe(production);
    expect(sessionSecret(authSecret, "preview")).not.toBe(production);
    expect(sessionSecret(authSecret, "development")).not.toBe(production);
  });

  it("makes a session a preview signed with production's AUTH_SECRET unreadable in production", async () => {
    const token = await encode({ token: { sub: "someone", username: "someone", role: "admin" }, secret: sessionSecret(authSecret, "preview") });
    expect(await decode({ token, secret: sessionSecret(authSecret, "preview") })).toMatchObject({ sub: "someone" });
    await expect(decode({ token, secret: sessionSecret(authSecret, "production") })).rejects.toThrow();
  });
});

describe("DEPLOYMENT_ENVIRONMENT", () => {
  const deployment = { AUTH_SECRET: authSecret, DATABASE_URL: "postgres://db.example.com/x", UPSTASH_REDIS_REST_URL: "https://u.example.com", UPSTASH_REDIS_REST_TOKEN: "t" };

  it("is Vercel's environment on Vercel, and production or development elsewhere", () => {
    expect(parseEnv({ ...deployment, VERCEL: "1", VERCEL_ENV: "preview" }).DEPLOYMENT_ENVIRONMENT).toBe("preview");
    expect(parseEnv({ ...deployment, VERCEL: "1", VERCEL_ENV: "production" }).DEPLOYMENT_ENVIRONMENT).toBe("production");
    expect(parseEnv({ ...deployment, VERCEL: "1", VERCEL_ENV: "preview", VERCEL_TARGET_ENV: "staging" }).DEPLOYMENT_ENVIRONMENT).toBe("staging");
    expect(parseEnv({ ...deployment, NODE_ENV: "production" }).DEPLOYMENT_ENVIRONMENT).toBe("production");
    expect(parseEnv({ NODE_ENV: "development" }).DEPLOYMENT_ENVIRONMENT).toBe("development");
  });
});
