import { spawn } from "node:child_process";
import { once } from "node:events";

import { startTestRun } from "../test/support/services";

/**
 * Builds the app and starts the run's shared services: a migrated template database and an
 * Upstash bridge. Each spec file then takes a copy of the template and a Redis key prefix of its
 * own and starts its own app (e2e/fixtures.ts). Set E2E_SKIP_BUILD=1 to reuse the .next build.
 */
export default async function globalSetup() {
  if (!process.env.E2E_SKIP_BUILD) await run("npx", ["next", "build"], { ...process.env, NEXT_TELEMETRY_DISABLED: "1" });
  const { run: testRun, stop } = await startTestRun("e2e");
  // Workers start after this returns and inherit the environment.
  process.env.E2E_TEST_RUN = JSON.stringify(testRun);
  return stop;
}

async function run(command: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(command, args, { env, stdio: ["ignore", "inherit", "inherit"] });
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${code}`);
}
