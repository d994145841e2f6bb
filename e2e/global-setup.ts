import { spawn } from "node:child_process";
import { once } from "node:events";

import { startTestServices } from "../test/support/services";
import { startAppServer } from "./app-server";

/** Settings every app instance of an e2e run shares, beside the services' own variables. */
const APP_SETTINGS = {
  ADMIN_USERNAMES: "e2e_admin",
  // Every e2e test signs up from 127.0.0.1; the per-IP limit itself is tested in vitest.
  RATE_LIMIT_AUTH: "1000/60s",
  NEXT_TELEMETRY_DISABLED: "1",
  // One JSON line per procedure call would bury the test report.
  LOG_LEVEL: "warn",
};

/**
 * Builds the app and starts it against this run's own database and Redis prefix, and tears
 * all of it down afterwards. Set E2E_SKIP_BUILD=1 to reuse an existing .next build while iterating.
 */
export default async function globalSetup() {
  const services = await startTestServices("e2e");
  const shared = { ...services.env, ...APP_SETTINGS };
  let app;
  try {
    if (!process.env.E2E_SKIP_BUILD) await run("npx", ["next", "build"], { ...process.env, ...shared });
    app = await startAppServer(shared);
  } catch (error) {
    await services.stop();
    throw error;
  }
  process.env.E2E_BASE_URL = app.url;
  // Specs that need more app instances (or to restart one) start them with the same services.
  process.env.E2E_APP_ENV = JSON.stringify(shared);

  return async () => {
    await app.stop();
    await services.stop();
  };
}

async function run(command: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(command, args, { env, stdio: ["ignore", "inherit", "inherit"] });
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${code}`);
}
