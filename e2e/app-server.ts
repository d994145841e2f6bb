import { spawn, type ChildProcess } from "node:child_process";

import { freePort } from "../test/ports";

/** `processGroup`: npm's pid, the id of the group holding npm, the launcher and Next.js. */
export type AppServer = { url: string; port: number; processGroup: number; stop(): Promise<void> };

/**
 * Starts the production server with `npm start` (the real launcher: migrations, bridge reuse)
 * and resolves once /api/health answers. `env` must carry the run's services (E2E_APP_ENV).
 * `output` takes the server's stdout and stderr: inherited, or a file descriptor (the
 * benchmarks keep thousands of log lines a second out of their terminal).
 */
export async function startAppServer(env: Record<string, string>, port?: number, output: "inherit" | number = "inherit"): Promise<AppServer> {
  const listenOn = port ?? (await freePort());
  const url = `http://127.0.0.1:${listenOn}`;
  const server = spawn("npm", ["start"], {
    env: { ...process.env, ...env, PORT: String(listenOn), NEXTAUTH_URL: url },
    stdio: ["ignore", output, output],
    // Its own process group, so stop() ends npm, the launcher and Next.js together.
    detached: true,
  });
  const stop = () => stopGroup(server.pid);
  try {
    await waitForHealth(`${url}/api/health`, server);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port: listenOn, processGroup: server.pid!, stop };
}

/**
 * Stops npm, the launcher and Next.js together and waits until all of them are gone (npm
 * itself exits at once on SIGTERM; the server finishes open requests first).
 */
async function stopGroup(pid: number | undefined, timeoutMs = 10_000) {
  if (!pid || !groupAlive(pid)) return;
  process.kill(-pid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(-pid, "SIGKILL");
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function groupAlive(pid: number) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The services and settings the run's first instance got (set by global-setup.ts). */
export function sharedAppEnv(): Record<string, string> {
  if (!process.env.E2E_APP_ENV) throw new Error("E2E_APP_ENV is not set: run through playwright (e2e/global-setup.ts)");
  return JSON.parse(process.env.E2E_APP_ENV) as Record<string, string>;
}

async function waitForHealth(url: string, server: ChildProcess, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the app exited with ${server.exitCode} before it was healthy`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} was not healthy within ${timeoutMs} ms`);
}
