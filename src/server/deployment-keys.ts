/**
 * Keys bound to the deployment environment as well as to a secret. A preview runs branch code
 * with whatever environment it is given; if production's AUTH_SECRET is copied into Preview by
 * mistake, a session or action token made by one environment must still be worthless in the
 * other. So every key is derived from (secret, purpose, environment), never used raw.
 */
import { hkdfSync } from "node:crypto";

/** production, preview, development (or a Vercel custom environment's name); see src/env.js. */
export type DeploymentEnvironment = string;

export function deploymentKey(secret: string, purpose: "session" | "action-token", environment: DeploymentEnvironment): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "live-scoreboard", `${purpose} v1 ${environment}`, 32));
}

/** The secret next-auth signs and encrypts sessions with (it derives its own keys from it). */
export function sessionSecret(authSecret: string, environment: DeploymentEnvironment): string {
  return deploymentKey(authSecret, "session", environment).toString("base64url");
}
