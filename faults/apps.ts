/**
 * App instances for the fault suite: `npm start` (the production launcher) against the suite's
 * own services, each with its log in the run's directory, started when a scenario first needs
 * them. Also the real kill: SIGKILL to the Next.js server process itself, not to npm.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

import { startAppServer, type AppServer } from "../test/support/app-server";
import type { FaultCluster } from "./cluster";

/**
 * Load instances get limits no test load reaches (the rate-limit checks run on `strict`, which
 * keeps the spec's defaults); they are still real, Redis-backed limits on the submit path.
 */
const GENEROUS_LIMITS = { RATE_LIMIT_USER: "1000000/1s", RATE_LIMIT_AUTH: "1000000/1s", RATE_LIMIT_SIGNIN_USER: "1000000/1s" };
/** The spec's defaults (PRODUCT.md, Invariants), spelled out so the test knows the numbers. */
export const STRICT_LIMITS = {
  user: { limit: 20, windowMs: 10_000 },
  auth: { limit: 10, windowMs: 60_000 },
  signInUser: { limit: 10, windowMs: 15 * 60_000 },
  liveStreamsPerIp: 20,
};

export type InstanceName = "primary" | "secondary" | "strict";

export type Instance = AppServer & { name: InstanceName; logFile: string };

export class AppInstances {
  private readonly running = new Map<InstanceName, Instance>();

  constructor(
    private readonly cluster: FaultCluster,
    private readonly logDir: string,
  ) {}

  async get(name: InstanceName): Promise<Instance> {
    const existing = this.running.get(name);
    if (existing) return existing;
    const spec = ({ limit, windowMs }: { limit: number; windowMs: number }) => `${limit}/${windowMs / 1000}s`;
    const limits =
      name === "strict"
        ? {
            RATE_LIMIT_USER: spec(STRICT_LIMITS.user),
            RATE_LIMIT_AUTH: spec(STRICT_LIMITS.auth),
            RATE_LIMIT_SIGNIN_USER: spec(STRICT_LIMITS.signInUser),
            LIVE_STREAMS_PER_IP: String(STRICT_LIMITS.liveStreamsPerIp),
          }
        : GENEROUS_LIMITS;
    const logFile = path.join(this.logDir, `${name}.log`);
    // Not kept in memory: the suite reads only the files, and only when a scenario failed.
    const app = await startAppServer({ env: { ...this.cluster.appEnv, ...limits }, logFile, capture: false });
    const instance = { ...app, name, logFile };
    this.running.set(name, instance);
    return instance;
  }

  /** SIGKILL to the Next.js server process of the instance (npm and the launcher then exit by themselves). */
  async kill(name: InstanceName) {
    const instance = this.running.get(name);
    if (!instance) throw new Error(`${name} is not running`);
    const server = nextServerPid(instance.processGroup);
    process.kill(server, "SIGKILL");
    this.running.delete(name);
    await instance.stop(); // reaps what is left of the group
    return server;
  }

  async stopAll() {
    for (const instance of this.running.values()) await instance.stop().catch(() => {});
    this.running.clear();
  }
}

/** The pid of the Next.js server in a process group (it names itself `next-server`). */
function nextServerPid(processGroup: number): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const group = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (group !== processGroup) continue;
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (commandLine.startsWith("next-server")) return Number(entry);
    } catch {
      // the process exited while we looked
    }
  }
  throw new Error(`no next-server process in process group ${processGroup}`);
}
