/**
 * Action tokens: the server's signed record that it started an action for a user.
 * Format: `v1.<userId>.<actionType>.<actionId>.<issuedAtMs>.<signature>`, where the
 * signature is HMAC-SHA256 over everything before it, base64url. Nothing in a token is
 * secret; its only power is that nobody without the key can make or alter one.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

import { deploymentKey, type DeploymentEnvironment } from "~/server/deployment-keys";
import { ACTION_RULES, ACTION_TOKEN_TTL_MS, isActionType, type ActionType } from "./rules";

const VERSION = "v1";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type ActionClaims = { userId: string; actionType: ActionType; actionId: string; issuedAt: number };

export type IssuedAction = {
  actionId: string;
  token: string;
  actionType: ActionType;
  issuedAt: Date;
  minCompleteAt: Date;
  expiresAt: Date;
};

export type TokenCheck =
  | { ok: true; claims: ActionClaims }
  | { ok: false; reason: "INVALID_TOKEN" | "TOKEN_EXPIRED" | "TOO_FAST" };

/** The signing key, from ACTION_TOKEN_SECRET (else AUTH_SECRET) and the deployment environment. */
export function actionTokenKey(secrets: { actionTokenSecret?: string; authSecret: string; environment: DeploymentEnvironment }): Buffer {
  return deploymentKey(secrets.actionTokenSecret || secrets.authSecret, "action-token", secrets.environment);
}

function sign(key: Buffer, body: string) {
  return createHmac("sha256", key).update(body).digest();
}

export function issueActionToken(key: Buffer, claims: ActionClaims): IssuedAction {
  const body = [VERSION, claims.userId, claims.actionType, claims.actionId, claims.issuedAt].join(".");
  const rule = ACTION_RULES[claims.actionType];
  return {
    actionId: claims.actionId,
    token: `${body}.${sign(key, body).toString("base64url")}`,
    actionType: claims.actionType,
    issuedAt: new Date(claims.issuedAt),
    minCompleteAt: new Date(claims.issuedAt + rule.minSeconds * 1000),
    expiresAt: new Date(claims.issuedAt + ACTION_TOKEN_TTL_MS),
  };
}

/**
 * Checks a submitted token against the session's user and the submitted action id.
 * Forged, malformed, altered or someone else's tokens are all INVALID_TOKEN: the caller
 * learns nothing about which check failed.
 */
export function verifyActionToken(
  key: Buffer,
  token: string,
  expected: { userId: string; actionId: string },
  now: number,
): TokenCheck {
  const parts = splitToken(token);
  if (!parts) return { ok: false, reason: "INVALID_TOKEN" };
  const { version, userId, actionType, actionId, issuedAtText, body, signature } = parts;
  const given = Buffer.from(signature, "base64url");
  const wanted = sign(key, body);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return { ok: false, reason: "INVALID_TOKEN" };

  const issuedAt = Number(issuedAtText);
  const wellFormed =
    version === VERSION && UUID.test(userId) && UUID.test(actionId) && isActionType(actionType) && Number.isSafeInteger(issuedAt);
  if (!wellFormed || userId !== expected.userId || actionId !== expected.actionId) {
    return { ok: false, reason: "INVALID_TOKEN" };
  }
  if (now >= issuedAt + ACTION_TOKEN_TTL_MS) return { ok: false, reason: "TOKEN_EXPIRED" };
  if (now < issuedAt + ACTION_RULES[actionType].minSeconds * 1000) return { ok: false, reason: "TOO_FAST" };
  return { ok: true, claims: { userId, actionType, actionId, issuedAt } };
}

/**
 * The action type a token claims, unverified: for labelling metrics of any submit, forged ones
 * included. Null when the token is malformed or names no known action type.
 */
export function claimedActionType(token: string): ActionType | null {
  const actionType = splitToken(token)?.actionType;
  return actionType !== undefined && isActionType(actionType) ? actionType : null;
}

function splitToken(token: string) {
  const parts = token.split(".");
  if (parts.length !== 6) return null;
  const [version, userId, actionType, actionId, issuedAtText, signature] = parts as [string, string, string, string, string, string];
  return { version, userId, actionType, actionId, issuedAtText, signature, body: parts.slice(0, 5).join(".") };
}
