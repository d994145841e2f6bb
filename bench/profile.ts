/**
 * `npm run bench:profile` — where a request's CPU goes on the server. Starts one production
 * server (`next start`, as the launcher runs it) under `node --cpu-prof` on fresh services, drives one closed-loop scenario at it
 * (default: submits at 64 connections from wrk; `top`: board reads; `live`: 500 live subscribers while the
 * board changes 20 times a second), stops it and summarises the server process's profile by
 * package and function (bench/cpu-profile.ts). The profile itself stays in bench/results/.
 *
 *   npm run bench:profile -- [--scenario submit|top|live] [--seconds 15]
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";

import { Redis as IORedis } from "ioredis";
import postgres from "postgres";

import { actionTokenKey } from "../src/server/scoring/token";
import { freePort } from "../test/support/ports";
import { startTestServices, type TestEnv } from "../test/support/services";
import { formatProfile, summarizeProfile } from "./cpu-profile";
import { Cleanups, raiseFileLimit, RESULTS_DIR } from "./harness";
import { submits, topRead } from "./requests";
import { formatRow, runWrkLoad } from "./scenarios/context";
import { createDrivers } from "./scenarios/drivers";
import { measureLive } from "./scenarios/live";
import { benchUsers, seedUsers } from "./seed";
import { buildBoard } from "./setup";
import { startWorker } from "./worker";
import { ensureWrk } from "./wrk";

const argv = process.argv.slice(2);
const valueOf = (flag: string) => {
  const index = argv.indexOf(flag);
  return index === -1 ? undefined : argv[index + 1];
};
const scenario = valueOf("--scenario") ?? "submit";
const seconds = Number(valueOf("--seconds") ?? 15);
if (!existsSync(".next/BUILD_ID")) throw new Error("no build in .next/: run `npm run build` first");
if (!["submit", "top", "live"].includes(scenario)) throw new Error("--scenario must be submit, top or live");

const LIVE_SUBSCRIBERS = 500;
const HTTP_CONNECTIONS = 64;
const HTTP_WARMUP_SECONDS = 3;
const HEALTH_POLL_MS = 250;
const LIVE_DRIVERS = 50;
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const profileDir = path.join(RESULTS_DIR, `${stamp}-profile`);
mkdirSync(profileDir, { recursive: true });
const cleanups = new Cleanups(() => console.error("interrupted"));
raiseFileLimit();
let exitCode = 1;
try {
  ensureWrk();
  const services = await startTestServices("benchprof");
  cleanups.add(() => services.stop());
  const sql = postgres(services.env.DATABASE_URL, { max: 2, onnotice: () => {} });
  cleanups.add(() => sql.end());
  const redis = new IORedis(services.env.REDIS_URL);
  cleanups.add(async () => redis.disconnect());
  await seedUsers(sql, "board", 1_000);
  await seedUsers(sql, "driver", LIVE_DRIVERS);
  const app = await startProfiledServer(services.env, path.join(profileDir, "app.log"));
  cleanups.add(() => app.stop());
  await buildBoard(app.url, services.env, redis, { clear: false });
  const tokenKey = actionTokenKey({ authSecret: services.env.AUTH_SECRET, environment: "production" });
  let outcome: string;
  if (scenario === "live") {
    const subscribers = startWorker(path.resolve("bench/subscribers.ts"));
    cleanups.add(() => subscribers.stop());
    await subscribers.request({ command: "open", origin: app.url, count: LIVE_SUBSCRIBERS });
    console.error(`profiling live: ${LIVE_SUBSCRIBERS} subscribers, 20 board changes/s for ${seconds} s…`);
    const drivers = createDrivers(await benchUsers("driver", LIVE_DRIVERS, services.env.AUTH_SECRET), [app.url]);
    const { row, note } = await measureLive({ subscribers, drivers, targets: [0], rate: 20, seconds, tokenKey, serverPids: [app.pid] });
    outcome = `live, ${LIVE_SUBSCRIBERS} subscribers: p50 ${row.latency!.p50.toFixed(1)} ms, p99 ${row.latency!.p99.toFixed(1)} ms, ${note}`;
  } else {
    const source = scenario === "submit" ? submits(await benchUsers("board", 1_000, services.env.AUTH_SECRET), tokenKey) : topRead("all");
    console.error(`profiling ${scenario} at ${HTTP_CONNECTIONS} connections for ${seconds} s (+${HTTP_WARMUP_SECONDS} s warm-up)…`);
    const row = await runWrkLoad(app, { connections: HTTP_CONNECTIONS, warmupSeconds: HTTP_WARMUP_SECONDS, seconds }, source);
    outcome = formatRow({ scenario, variant: `${HTTP_CONNECTIONS} connections`, ...row }).trim();
  }
  console.error(`  ${outcome}`);
  await app.stop();
  const file = readdirSync(profileDir).find((name) => name.includes(`.${app.pid}.`) && name.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no profile of the server process (pid ${app.pid}) in ${profileDir}`);
  const text = `${outcome}\n${formatProfile(summarizeProfile(path.join(profileDir, file)))}`;
  writeFileSync(path.join(profileDir, "summary.txt"), text);
  console.log(text);
  console.error(`profile: ${path.relative(process.cwd(), path.join(profileDir, file))}`);
  exitCode = 0;
} catch (error) {
  console.error(error);
} finally {
  await cleanups.run();
}
process.exit(exitCode);

/**
 * `next start` under --cpu-prof, which NODE_OPTIONS may not carry, so not through `npm start`:
 * the services are already migrated and the bridge is up, which is all the launcher adds.
 * The profile is written when the server exits on SIGTERM.
 */
async function startProfiledServer(env: TestEnv, logFile: string) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = openSync(logFile, "a");
  const server = spawn(
    process.execPath,
    ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, path.resolve("node_modules/next/dist/bin/next"), "start", "--port", String(port)],
    {
      // LIVE_STREAMS_PER_IP: every subscriber connects from this machine, one client IP.
      env: { ...process.env, ...env, NODE_ENV: "production", ALLOW_LOCAL_SERVICES: "1", NEXT_TELEMETRY_DISABLED: "1", LIVE_STREAMS_PER_IP: "1000000", PORT: String(port), NEXTAUTH_URL: url },
      stdio: ["ignore", log, log],
    },
  );
  closeSync(log);
  const exited = new Promise((resolve) => server.once("exit", resolve));
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) server.kill("SIGTERM");
    await exited;
  };
  // Nothing announces that a starting server listens: /api/health is polled (as test/support/app-server.ts does).
  for (let healthy = false; !healthy; await new Promise((resolve) => setTimeout(resolve, HEALTH_POLL_MS))) {
    if (server.exitCode !== null) throw new Error(`next start exited with ${server.exitCode} (see ${logFile})`);
    healthy = await fetch(`${url}/api/health`).then((response) => response.ok, () => false);
  }
  return { url, pid: server.pid!, stop };
}
