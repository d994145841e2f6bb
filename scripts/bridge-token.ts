/**
 * The local bridge's token when UPSTASH_REDIS_REST_TOKEN is not set: random, made by whoever
 * starts the bridge and kept in .local/bridge-token-<port> (git-ignored, mode 0600), so that a
 * bridge started by `npm run bridge` and an app started by `npm run dev` / `npm start` agree.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

/** @param dir defaults to .local/ in the working directory (the project's, for the npm scripts). */
export function bridgeTokenFile(restUrl: string, dir = path.resolve(".local")) {
  const { port, protocol } = new URL(restUrl);
  return path.join(dir, `bridge-token-${port || (protocol === "https:" ? "443" : "80")}`);
}

/** The token saved for the bridge at this URL, if any. */
export function readBridgeToken(restUrl: string, dir?: string): string | undefined {
  try {
    return readFileSync(bridgeTokenFile(restUrl, dir), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

export function newBridgeToken() {
  return randomBytes(24).toString("base64url");
}

/** Saves the token of the bridge now listening at this URL, in place of any earlier one. */
export function saveBridgeToken(restUrl: string, token: string, dir?: string) {
  const file = bridgeTokenFile(restUrl, dir);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Written aside and renamed: a reader never sees half a token, and the mode holds where a file existed.
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, token, { mode: 0o600 });
  renameSync(temporary, file);
  return file;
}
