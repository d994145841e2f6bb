/**
 * The closed-loop HTTP load generator (a worker process, see worker.ts). Each virtual client
 * sends its next request only when the previous one has answered; latency runs from send to
 * the last byte of the body. Requests are in the app's one wire format (test/support/wire.ts:
 * one call per request, superjson envelopes) with the header the browser's client adds.
 *
 * It also runs the bridge-overhead comparison: the board's write script through @upstash/redis
 * and the bridge, against the same script sent straight to redis-server with ioredis.
 */
import { randomUUID } from "node:crypto";

import { Redis as UpstashRedis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { Pool } from "undici";

import { APPLY, boardKeysUnder, boardMember, createRedisBoard } from "../src/server/redis/board";
import { issueActionToken } from "../src/server/scoring/token";
import { decodeReply, encodeInput, queryPath } from "../test/support/wire";
import { Samples, type LatencySummary } from "./stats";
import { serveRequests, type Notice } from "./worker";

export type BenchUser = { id: string; cookie: string };

export type HttpJob = {
  kind: "http";
  origin: string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  request: { type: "submit"; users: BenchUser[]; tokenKey: string } | { type: "top"; limit: number };
};

export type RedisCompareJob = {
  kind: "redis-compare";
  bridgeUrl: string;
  bridgeToken: string;
  redisUrl: string;
  keysBase: string;
  concurrency: number;
  calls: number;
};

export type LoadResult = {
  latency: LatencySummary;
  throughput: number;
  /** Answers that were not a tRPC success, by HTTP status and the spec's reason. */
  errors: Record<string, number>;
  /** The generator's own CPU over the measured window, in % of one core. */
  generatorCpuPercent: number;
};

/** The header the browser's batch link adds (src/trpc/react.tsx). */
const TRPC_HEADERS = { "x-trpc-source": "nextjs-react" };
/** A started action is submittable 2 s after start (COMPLETE_TASK): these were started 3 s ago. */
const STARTED_AGO_MS = 3_000;

type PreparedRequest = { method: "GET" | "POST"; path: string; headers: Record<string, string>; body?: string };

function requestFactory(job: HttpJob): () => PreparedRequest {
  const spec = job.request;
  if (spec.type === "top") {
    const request: PreparedRequest = { method: "GET", path: queryPath("leaderboard.top", { limit: spec.limit }), headers: TRPC_HEADERS };
    return () => request;
  }
  const key = Buffer.from(spec.tokenKey, "base64");
  let next = 0;
  return () => {
    // Round robin over many users, so the per-user rate limit (on, as in production) is not what is measured.
    const user = spec.users[next++ % spec.users.length]!;
    const action = issueActionToken(key, {
      userId: user.id,
      actionType: "COMPLETE_TASK",
      actionId: randomUUID(),
      issuedAt: Date.now() - STARTED_AGO_MS,
    });
    return {
      method: "POST",
      path: "/api/trpc/score.submit",
      headers: { ...TRPC_HEADERS, "content-type": "application/json", cookie: user.cookie },
      body: encodeInput({ actionId: action.actionId, token: action.token }),
    };
  };
}

/** An error answer as `<status> <reason>`; a success is not decoded (the generator's CPU is measured). */
function errorOf(status: number, body: string): string | null {
  if (status < 300) return null;
  try {
    const reply = decodeReply(status, body);
    return `${status} ${reply.ok ? "unknown" : reply.error.data.reason}`;
  } catch {
    return `${status} not a tRPC answer`;
  }
}

async function runHttp(job: HttpJob, notify: (notice: Notice) => void): Promise<LoadResult> {
  const pool = new Pool(job.origin, { connections: job.concurrency, pipelining: 1 });
  const nextRequest = requestFactory(job);
  const samples = new Samples();
  const errors: Record<string, number> = {};
  const started = performance.now();
  const windowStart = started + job.warmupMs;
  const windowEnd = windowStart + job.durationMs;
  let cpuAtStart: NodeJS.CpuUsage | null = null;
  let cpuInWindow: NodeJS.CpuUsage | null = null;
  const windowTimer = setTimeout(() => {
    cpuAtStart = process.cpuUsage();
    notify({ notice: "window-start" });
  }, job.warmupMs);
  const endTimer = setTimeout(() => {
    cpuInWindow = process.cpuUsage(cpuAtStart ?? undefined);
    notify({ notice: "window-end" });
  }, job.warmupMs + job.durationMs);

  async function virtualClient() {
    while (performance.now() < windowEnd) {
      const request = nextRequest();
      const sent = performance.now();
      let failure: string | null;
      try {
        const response = await pool.request({ origin: job.origin, ...request });
        failure = errorOf(response.statusCode, await response.body.text());
      } catch (error) {
        failure = `network ${(error as NodeJS.ErrnoException).code ?? (error as Error).name}`;
      }
      const done = performance.now();
      if (done < windowStart || done > windowEnd) continue;
      if (failure) errors[failure] = (errors[failure] ?? 0) + 1;
      else samples.add(done - sent);
    }
  }

  try {
    await Promise.all(Array.from({ length: job.concurrency }, virtualClient));
  } finally {
    clearTimeout(windowTimer);
    clearTimeout(endTimer);
    await pool.close();
  }
  const cpu = cpuInWindow ?? process.cpuUsage(cpuAtStart ?? undefined);
  return {
    latency: samples.summary(),
    throughput: samples.count / (job.durationMs / 1000),
    errors,
    generatorCpuPercent: ((cpu.user + cpu.system) / 1000 / job.durationMs) * 100,
  };
}

export type RedisCompareResult = { bridge: LoadResult; direct: LoadResult };

/** `calls` board writes at `concurrency` in flight, as the app sends them (via the bridge) and straight to Redis. */
async function runRedisCompare(job: RedisCompareJob): Promise<RedisCompareResult> {
  const keys = boardKeysUnder(job.keysBase);
  const upstash = new UpstashRedis({ url: job.bridgeUrl, token: job.bridgeToken, enableTelemetry: false, automaticDeserialization: false });
  const board = createRedisBoard(upstash, keys);
  const direct = new IORedis(job.redisUrl);
  const sha = (await direct.script("LOAD", APPLY)) as string;
  const keyList = [keys.board, keys.entries, keys.names, keys.version, keys.changes, keys.ready];
  let version = 0;
  const write = () => {
    version += 1;
    return { userId: `anchor-${version % 10_000}`, version, score: version, reachedMicros: String(1_700_000_000_000_000 + version), displayName: "anchor", visible: true };
  };
  try {
    const viaBridge = await closedLoop(job, async () => {
      await board.apply([write()]);
    });
    const straight = await closedLoop(job, async () => {
      const w = write();
      await direct.evalsha(sha, keyList.length, ...keyList, w.userId, String(w.version), String(w.score), boardMember(w.reachedMicros, w.userId), w.displayName);
    });
    return { bridge: viaBridge, direct: straight };
  } finally {
    direct.disconnect();
  }
}

/** `job.calls` calls of `call`, `job.concurrency` at a time, all measured. */
async function closedLoop(job: RedisCompareJob, call: () => Promise<void>): Promise<LoadResult> {
  const samples = new Samples();
  const errors: Record<string, number> = {};
  let issued = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      while (issued++ < job.calls) {
        const sent = performance.now();
        try {
          await call();
          samples.add(performance.now() - sent);
        } catch (error) {
          const name = (error as Error).message.split("\n")[0]!.slice(0, 60);
          errors[name] = (errors[name] ?? 0) + 1;
        }
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    latency: samples.summary(),
    throughput: samples.count / (elapsedMs / 1000),
    errors,
    generatorCpuPercent: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
  };
}

serveRequests(async (job: HttpJob | RedisCompareJob, notify) => (job.kind === "http" ? runHttp(job, notify) : runRedisCompare(job)));
