import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";

import { startTestServices } from "../test/services";

/**
 * Builds the app, starts it with `npm start` (the real launcher: migrations, bridge reuse)
 * on a free port against this run's own database and Redis prefix, and tears all of it
 * down afterwards. Set E2E_SKIP_BUILD=1 to reuse an existing .next build while iterating.
 */
export default async function globalSetup() {
  const services = await startTestServices("e2e");
  const port = await freePort();
  const env = {
    ...process.env,
    ...services.env,
    PORT: String(port),
    NEXTAUTH_URL: `http://127.0.0.1:${port}`,
    ADMIN_USERNAMES: "e2e_admin",
    // Every e2e test signs up from 127.0.0.1; the per-IP limit itself is tested in vitest.
    RATE_LIMIT_AUTH: "1000/60s",
    NEXT_TELEMETRY_DISABLED: "1",
  };

  let server: ChildProcess | undefined;
  try {
    if (!process.env.E2E_SKIP_BUILD) await run("npx", ["next", "build"], env);
    server = spawn("npm", ["start"], { env, stdio: ["ignore", "inherit", "inherit"], detached: true });
    await waitForHealth(`http://127.0.0.1:${port}/api/health`, server);
  } catch (error) {
    if (server?.pid) process.kill(-server.pid, "SIGTERM");
    await services.stop();
    throw error;
  }
  process.env.E2E_BASE_URL = `http://127.0.0.1:${port}`;

  return async () => {
    if (server?.pid && server.exitCode === null) {
      process.kill(-server.pid, "SIGTERM");
      await once(server, "exit");
    }
    await services.stop();
  };
}

async function run(command: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(command, args, { env, stdio: ["ignore", "inherit", "inherit"] });
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${code}`);
}

async function freePort() {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  return port;
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
