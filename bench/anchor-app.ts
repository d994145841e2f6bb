/**
 * The framework's floor, measured in the same run as the product: a minimal Next.js app
 * (bench/anchors/) holding a bare route handler and a signed-in tRPC no-op mutation with
 * score.submit's input, built from the project's own packages and served by `next start`, as
 * the product is.
 *
 * It is built in a copy, bench/.anchors/ (git-ignored): `next build` writes its output,
 * next-env.d.ts and a rewritten tsconfig.json into the project it builds. The copy sits under
 * the repo, so the project's node_modules resolve, and at the sources' depth, so their
 * tsconfig's `~/*` path (the product's src/, for the input schema) holds in both places.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, cpSync, existsSync, openSync, rmSync } from "node:fs";
import path from "node:path";

import { sessionSecret } from "../src/server/deployment-keys";
import type { TestEnv } from "../test/support/services";
import { startApp, type Cleanups } from "./harness";
import type { RunningApp } from "./scenarios/context";

export const BARE_ROUTE_PATH = "/api/bare";
const SOURCES = path.resolve("bench/anchors");
const BUILD_DIR = path.resolve("bench/.anchors");
const NEXT = path.resolve("node_modules/.bin/next");

export function anchorAppBuilt() {
  return existsSync(path.join(BUILD_DIR, ".next/BUILD_ID"));
}

/** Copies the sources afresh and runs `next build` there, its output going to `logFile`. */
export async function buildAnchorApp(logFile: string) {
  rmSync(BUILD_DIR, { recursive: true, force: true });
  cpSync(SOURCES, BUILD_DIR, { recursive: true });
  const log = openSync(logFile, "a");
  const build = spawn(NEXT, ["build"], { cwd: BUILD_DIR, env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" }, stdio: ["ignore", log, log] });
  closeSync(log);
  const [code] = (await once(build, "exit")) as [number | null];
  if (code !== 0) throw new Error(`next build of the anchor app exited with ${code} (see ${logFile})`);
}

/** `next start` of the anchor app; it reads the session cookies a production app with the product's AUTH_SECRET signs. */
export function startAnchorApp(env: TestEnv, logFile: string, cleanups: Cleanups): Promise<RunningApp> {
  return startApp(
    {
      env: { SESSION_SECRET: sessionSecret(env.AUTH_SECRET, "production"), NEXT_TELEMETRY_DISABLED: "1" },
      logFile,
      capture: false,
      command: { argv: [NEXT, "start"], cwd: BUILD_DIR },
      readyPath: BARE_ROUTE_PATH,
    },
    cleanups,
  );
}
