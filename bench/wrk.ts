/**
 * Throughput load from wrk (Debian package `wrk`). A generator written on Node tops out near
 * 1,000 requests a second on this machine and then measures itself, not the server; wrk, in C,
 * spends a few percent of a core at that rate. Closed loop: each connection sends its next
 * request once the previous one has answered. The requests are prepared here and replayed by
 * bench/wrk/replay.lua, which counts the answers by status and prints its summary as JSON.
 */
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import type { LatencySummary } from "./stats";

export type WrkRequest = { method: "GET" | "POST"; path: string; headers: Record<string, string>; body?: string };

export type WrkRun = {
  origin: string;
  connections: number;
  /** wrk counts whole seconds. */
  seconds: number;
  /** Replayed in order, each connection taking the next; wrk starts over when they run out. */
  requests: WrkRequest[];
};

export type WrkResult = {
  /** How long the load ran, as wrk measured it. */
  seconds: number;
  /** Every answer's latency, errors included, in ms. */
  latency: LatencySummary;
  /** Answers by status; errors also by the spec's reason: `"200"`, `"429 RATE_LIMITED"`. */
  answers: Record<string, number>;
  /** Requests that got no answer, by cause: `connect`, `read`, `write`, `timeout`. */
  socketErrors: Record<string, number>;
  /** Requests sent again because the prepared ones ran out. */
  repeated: number;
  /** wrk's own CPU while it ran, in % of one core. */
  generatorCpuPercent: number;
};

const WRK = "wrk";
const INSTALL = "apt-get update && apt-get install -y wrk";
const SCRIPT = path.resolve("bench/wrk/replay.lua");
/** Long enough that a slow answer is measured as one: wrk leaves requests past its timeout out of its latency figures. */
const REQUEST_TIMEOUT = "30s";
/** Two threads on this two-core machine: one descheduled thread does not stall every connection. */
const MAX_THREADS = 2;
const RESULT_PREFIX = "WRK_RESULT ";

/** Installs wrk when it is missing and we may (root on Debian); otherwise fails saying how. */
export function ensureWrk() {
  if (onPath(WRK)) return;
  const canInstall = process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");
  if (!canInstall) throw new Error(`wrk is missing (the benchmark's HTTP load generator). Install it with:\n  sudo sh -c '${INSTALL}'`);
  console.error(`wrk is missing; installing it: ${INSTALL}`);
  execFileSync("sh", ["-c", INSTALL], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
}

function onPath(command: string) {
  return (process.env.PATH ?? "").split(":").some((dir) => dir !== "" && existsSync(path.join(dir, command)));
}

export async function runWrk(run: WrkRun): Promise<WrkResult> {
  const threads = Math.min(MAX_THREADS, run.connections);
  const dir = mkdtempSync(path.join(tmpdir(), "bench-wrk-"));
  const file = path.join(dir, "requests.tsv");
  try {
    // Each thread replays its own share of the lines: a single request is written once per thread.
    const requests = run.requests.length >= threads ? run.requests : Array.from({ length: threads }, () => run.requests).flat();
    writeFileSync(file, requests.map(requestLine).join(""));
    const seconds = Math.max(1, Math.round(run.seconds));
    const args = ["-t", String(threads), "-c", String(run.connections), "-d", `${seconds}s`, "--timeout", REQUEST_TIMEOUT, "-s", SCRIPT, run.origin, "--", file, String(threads)];
    const child = spawn(WRK, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    const line = output.split("\n").find((candidate) => candidate.startsWith(RESULT_PREFIX));
    if (code !== 0 || !line) throw new Error(`wrk ${args.join(" ")} exited with ${code}:\n${output.slice(-2_000)}`);
    return parseResult(JSON.parse(line.slice(RESULT_PREFIX.length)) as ReplayResult);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One line of replay.lua's input: method, path, body, headers, separated by tabs. */
function requestLine(request: WrkRequest) {
  const fields = [request.method, request.path, request.body ?? "", ...Object.entries(request.headers).map(([name, value]) => `${name}: ${value}`)];
  if (fields.some((field) => /[\t\n\r]/.test(field))) throw new Error(`a request for wrk holds a tab or line break: ${fields.join(" | ").slice(0, 200)}`);
  return `${fields.join("\t")}\n`;
}

/** What replay.lua's done() prints (microseconds). */
type ReplayResult = {
  durationUs: number;
  cpuSeconds: number;
  answers: Record<string, number>;
  repeated: number;
  socketErrors: Record<string, number>;
  latencyUs: { count: number; p50: number; p95: number; p99: number; max: number; mean: number };
};

function parseResult(raw: ReplayResult): WrkResult {
  const seconds = raw.durationUs / 1e6;
  const { count, ...latencyUs } = raw.latencyUs;
  const latency = Object.fromEntries(Object.entries(latencyUs).map(([name, us]) => [name, us / 1000])) as Omit<LatencySummary, "count">;
  return {
    seconds,
    latency: { count, ...latency },
    answers: raw.answers,
    socketErrors: Object.fromEntries(Object.entries(raw.socketErrors).filter(([, n]) => n > 0)),
    repeated: raw.repeated,
    generatorCpuPercent: (raw.cpuSeconds / seconds) * 100,
  };
}
