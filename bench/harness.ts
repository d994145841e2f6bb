/** What the bench run and the profiler share: cleanup on exit or Ctrl-C, app instances, limits. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

import { startAppServer, type AppServerOptions } from "../test/support/app-server";
import { findServerPid } from "./proc";
import type { RunningApp } from "./scenarios/context";

export const RESULTS_DIR = path.resolve("bench/results");
/** Open files wanted per process: 10,000 SSE streams on each side, and then some. */
const FILE_LIMIT = 65_536;

/** Stops and drops what a run started, newest first: at the end, on failure and on Ctrl-C. */
export class Cleanups {
  private readonly tasks: (() => Promise<unknown>)[] = [];

  constructor(onInterrupt: () => void) {
    process.once("SIGINT", () => {
      onInterrupt();
      void this.run().then(() => process.exit(130));
    });
  }

  add(task: () => Promise<unknown>) {
    this.tasks.push(task);
  }

  private running: Promise<void> | null = null;

  /** Runs every task once; a second caller (Ctrl-C during the normal end) waits for the same run. */
  run() {
    this.running ??= (async () => {
      for (const task of this.tasks.splice(0).reverse()) await task().catch((error: unknown) => console.error(`cleanup: ${String(error)}`));
    })();
    return this.running;
  }
}

/** A server (the product's `npm start` unless `options.command` says otherwise) and the pid of the Node process serving it. */
export async function startApp(options: AppServerOptions, cleanups: Cleanups): Promise<RunningApp> {
  const app = await startAppServer(options);
  cleanups.add(() => app.stop());
  return { url: app.url, port: app.port, pid: await findServerPid(app.port), stop: () => app.stop() };
}

/**
 * Raises this process's open-file limit, which the app servers and workers inherit: to
 * FILE_LIMIT where allowed (root with CAP_SYS_RESOURCE), else the soft limit to the hard one.
 * Returns the limit in force.
 */
export function raiseFileLimit(): number {
  for (const limit of [`${FILE_LIMIT}:${FILE_LIMIT}`, `${openFileLimit().hard}:${openFileLimit().hard}`]) {
    if (spawnSync("prlimit", ["--pid", String(process.pid), `--nofile=${limit}`]).status === 0) break;
  }
  return openFileLimit().soft;
}

function openFileLimit() {
  const line = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"));
  const value = (text: string | undefined) => (text === undefined || text === "unlimited" ? Infinity : Number(text));
  return { soft: value(line?.[1]), hard: value(line?.[2]) };
}
