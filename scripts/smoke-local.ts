/**
 * `npm run smoke:local`: the smoke test (scripts/smoke.ts) against a local production build on
 * services of its own — a fresh database and Redis key prefix (test/support/services.ts), `next build`,
 * then `npm start` as the e2e tests start it — and everything is torn down afterwards.
 *
 * --reuse-build skips `next build` when .next/ already holds one (CI runs this right after the
 * e2e tests, which just built the same code).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { once } from "node:events";
import path from "node:path";

import { startAppServer, type AppServer } from "../test/support/app-server";
import { startTestServices } from "../test/support/services";

const reuse = process.argv.includes("--reuse-build") && existsSync(".next/BUILD_ID");
const started = performance.now();

console.log("--- smoke:local: services (fresh database, bridge, key prefix)");
const services = await startTestServices("smoke");
let app: AppServer | null = null;
let code = 1;
try {
  const env = { ...services.env, NEXT_TELEMETRY_DISABLED: "1" };
  if (reuse) console.log("--- smoke:local: reusing the build in .next/");
  else {
    console.log("--- smoke:local: next build");
    await run(path.resolve("node_modules/.bin/next"), ["build"], env);
  }
  console.log("--- smoke:local: npm start");
  app = await startAppServer({ env });
  console.log(`--- smoke:local: npm run smoke -- ${app.url}`);
  code = await run(path.resolve("node_modules/.bin/tsx"), ["scripts/smoke.ts", app.url], {}, false);
  if (code !== 0) console.log(`--- smoke:local: the app's output (its end)\n${app.output.text().slice(-4_000)}`);
} finally {
  await app?.stop();
  await services.stop();
}
console.log(`--- smoke:local: ${code === 0 ? "passed" : "FAILED"} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exit(code);

async function run(command: string, args: string[], env: Record<string, string>, mustSucceed = true) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit"] });
  const [exitCode] = (await once(child, "exit")) as [number | null];
  if (mustSucceed && exitCode !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${exitCode}`);
  return exitCode ?? 1;
}
