import { defineConfig } from "@playwright/test";

/**
 * e2e runs against a production build (`next build`, then `npm start`): e2e/global-setup.ts
 * builds it and starts the run's services; each spec file starts an app of its own on its own
 * database and Redis key prefix (e2e/fixtures.ts), which also supplies `baseURL`.
 */
export default defineConfig({
  testDir: "e2e",
  globalSetup: "./e2e/global-setup.ts",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  workers: 2,
  reporter: [["list"]],
  forbidOnly: Boolean(process.env.CI),
  use: {
    browserName: "chromium",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      // Without the networking flags Chromium stalls on this offline machine's refused connections.
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
    trace: "retain-on-failure",
  },
});
