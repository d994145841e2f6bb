/**
 * The production app as the tests, the smoke test, the fault suite and the benchmarks run it:
 * `npm start` (the real launcher: migrations, bridge reuse, then `next start`) in a process
 * group of its own, its output captured line by line so a test can wait for a log line instead
 * of waiting a fixed time. The benchmark's anchor app (bench/anchor-app.ts) is started the same
 * way with a command of its own.
 */
import { spawn } from "node:child_process";
import { closeSync, createWriteStream, openSync } from "node:fs";
import { createInterface } from "node:readline";

import { freePort } from "./ports";

export type AppServer = {
  url: string;
  port: number;
  /** The started command's pid (npm's for the app): the id of the process group holding it and Next.js. */
  processGroup: number;
  output: AppOutput;
  stop(): Promise<void>;
};

export type AppServerOptions = {
  /** The services and settings (a TestEnv plus overrides). */
  env: Record<string, string>;
  /** Defaults to a free one. */
  port?: number;
  /** Also append the output to this file (the fault suite and the benchmarks keep logs per instance). */
  logFile?: string;
  /**
   * Keep the output in memory (default true). Off, it goes only to `logFile`, written by the
   * child itself: the benchmarks' instances write thousands of lines a second.
   */
  capture?: boolean;
  /** What to run, in `cwd`; defaults to `npm start` in this directory. */
  command?: { argv: [string, ...string[]]; cwd: string };
  /** Polled until it answers 200; defaults to /api/health. */
  readyPath?: string;
};

/** Starts the server and resolves once its ready path answers. */
export async function startAppServer(options: AppServerOptions): Promise<AppServer> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const capture = options.capture ?? true;
  // Not captured: the child writes straight to the log file, costing this process nothing.
  const direct = capture ? null : options.logFile ? openSync(options.logFile, "a") : "ignore";
  const [executable, ...args] = options.command?.argv ?? ["npm", "start"];
  const server = spawn(executable, args, {
    cwd: options.command?.cwd,
    env: { ...process.env, ...options.env, PORT: String(port), NEXTAUTH_URL: url },
    stdio: direct === null ? ["ignore", "pipe", "pipe"] : ["ignore", direct, direct],
    // Its own process group, so stop() ends npm, the launcher and Next.js together.
    detached: true,
  });
  if (typeof direct === "number") closeSync(direct); // the child holds its own copy
  const output = new AppOutput();
  const file = capture && options.logFile ? createWriteStream(options.logFile, { flags: "a" }) : null;
  if (capture) {
    for (const stream of [server.stdout!, server.stderr!]) {
      if (file) stream.on("data", (chunk: Buffer) => file.write(chunk));
      createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => output.add(line));
    }
  }
  let exited = false;
  server.once("exit", () => {
    exited = true;
    output.wakeAll();
  });

  const processGroup = server.pid!;
  const stop = async () => {
    await stopGroup(processGroup);
    file?.end();
  };
  try {
    await waitUntilReady(`${url}${options.readyPath ?? "/api/health"}`, () => exited, output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, processGroup, output, stop };
}

/** What an app instance printed, and a way to wait for a line. */
export class AppOutput {
  private readonly lines: string[] = [];
  private readonly waiters = new Set<() => void>();

  add(line: string) {
    this.lines.push(line);
    this.wakeAll();
  }

  wakeAll() {
    for (const wake of this.waiters) wake();
  }

  /** Every line so far, from `from` on. */
  text(from = 0) {
    return this.lines.slice(from).join("\n");
  }

  get lineCount() {
    return this.lines.length;
  }

  /** The JSON log lines (pino) from line `from` on. */
  jsonLines(from = 0): Record<string, unknown>[] {
    return this.lines.slice(from).flatMap((line) => {
      if (!line.trimStart().startsWith("{")) return [];
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  /** The first JSON line from `from` on that `accept` takes; waits for it up to `timeoutMs`. */
  async waitForJson(accept: (line: Record<string, unknown>) => boolean, timeoutMs: number, from = 0) {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.jsonLines(from).find(accept);
      if (found) return found;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no such log line within ${timeoutMs} ms; the output:\n${this.text(from).slice(-4_000)}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }
}

/**
 * Stops npm, the launcher and Next.js together and waits until all of them are gone (npm itself
 * exits at once on SIGTERM; the server finishes open requests first). Polls: a process group
 * has no exit event to wait on.
 */
async function stopGroup(pid: number, timeoutMs = 10_000) {
  if (!groupAlive(pid)) return;
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

/** Polls the ready path: nothing announces that a starting server has begun to listen. */
async function waitUntilReady(readyUrl: string, exited: () => boolean, output: AppOutput, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`the server exited before it was ready; its output:\n${output.text().slice(-4_000)}`);
    try {
      if ((await fetch(readyUrl)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${readyUrl} did not answer within ${timeoutMs} ms; its output:\n${output.text().slice(-4_000)}`);
}
