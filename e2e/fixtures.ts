import { basename } from "node:path";

import { test as base } from "@playwright/test";

import { grantAdminWithCli } from "../test/support/admin-cli";
import { startAppServer, type AppServer } from "../test/support/app-server";
import { ScoreboardClient } from "../test/support/client";
import { createTestEnv, type TestRun } from "../test/support/services";

export { expect } from "@playwright/test";

/** Settings every e2e app gets beside its services; a spec file may add or override some. */
const APP_SETTINGS: Record<string, string> = {
  // Every e2e user signs up from 127.0.0.1; the per-IP limit itself is tested in vitest.
  RATE_LIMIT_AUTH: "1000/60s",
  NEXT_TELEMETRY_DISABLED: "1",
  // One JSON line per procedure call would bury the test report.
  LOG_LEVEL: "warn",
};

/** A spec file's app: its own database and Redis key prefix (`env`), and the instance serving them. */
export type FileApp = { env: Record<string, string>; server: AppServer };

/** The app of the spec file this worker is running (a worker runs one file at a time). */
let current: FileApp | null = null;

/**
 * Gives the calling spec file an app of its own, started before its first test and stopped,
 * with its database and keys, after its last: call once at the top of every spec file. Tests
 * reach it through `baseURL` (so `page.goto("/")` goes there) or the `app` fixture, and start
 * more instances of it with `startInstance`.
 */
export function ownAppForThisFile(settings: Record<string, string> = {}) {
  let services: Awaited<ReturnType<typeof createTestEnv>> | null = null;
  test.beforeAll(async ({}, testInfo) => {
    // `npm start` on a busy machine: the bound is for a hung start only.
    testInfo.setTimeout(90_000);
    services = await createTestEnv(testRun(), basename(testInfo.file, ".spec.ts"));
    const env = { ...services.env, ...APP_SETTINGS, ...settings };
    current = { env, server: await startAppServer({ env }) };
  });
  test.afterAll(async ({}, testInfo) => {
    testInfo.setTimeout(30_000);
    await current?.server.stop();
    current = null;
    await services?.stop();
  });
}

/**
 * An administrator of the file's app, signed up and granted as an operator grants one (the admin
 * CLI) before the file's tests run; call it after ownAppForThisFile(). Returns the credentials.
 */
export function ownAdminForThisFile(admin: { username: string; password: string }) {
  test.beforeAll(async ({ app }) => {
    await new ScoreboardClient(app.server.url).signIn({ ...admin, intent: "signup" });
    await grantAdminWithCli(admin.username, { DATABASE_URL: app.env.DATABASE_URL });
  });
  return admin;
}

/** The run global-setup started (template database and bridge), handed to workers through the environment. */
function testRun(): TestRun {
  if (!process.env.E2E_TEST_RUN) throw new Error("E2E_TEST_RUN is not set: run the e2e tests through playwright (e2e/global-setup.ts)");
  return JSON.parse(process.env.E2E_TEST_RUN) as TestRun;
}

export const test = base.extend<{ app: FileApp; startInstance: (port?: number) => Promise<AppServer> }>({
  app: async ({}, use) => {
    if (!current) throw new Error("this spec file has no app: call ownAppForThisFile() at its top");
    await use(current);
  },
  /** Starts another instance of the file's app (same database and keys); any still running when the test ends is stopped. */
  startInstance: async ({ app }, use) => {
    const started: AppServer[] = [];
    await use(async (port) => {
      const server = await startAppServer({ env: app.env, port });
      started.push(server);
      return server;
    });
    await Promise.all(started.map((server) => server.stop()));
  },
  // Resolved for hooks too (Playwright's own fixtures depend on it), before the file's app exists.
  baseURL: async ({}, use) => {
    await use(current?.server.url);
  },
});
