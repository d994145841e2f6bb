/**
 * The bridge's overhead (a worker process, see worker.ts, so its CPU is measured apart from the
 * orchestrator, which hosts the bridge): the board's write script through @upstash/redis and the
 * bridge, as the app sends it, against the same script sent straight to redis-server with ioredis.
 * Each call is a submit's: one write to each of the three boards (all time, today, this week).
 */
import { Redis as UpstashRedis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";

import { scopesAt } from "../src/server/board/types";
import { APPLY, applyCall, createBoardStore } from "../src/server/redis/board-store";
import { redisKeys } from "../src/server/redis/keys";
import { countError, cpuPercent, Samples, type LoadResult } from "./stats";
import { serveRequests } from "./worker";

export type RedisCompareJob = {
  bridgeUrl: string;
  bridgeToken: string;
  redisUrl: string;
  /** The keys' prefix: a board of the worker's own. */
  keyPrefix: string;
  concurrency: number;
  calls: number;
};

export type RedisCompareResult = { bridge: LoadResult; direct: LoadResult };

/** `calls` board writes at `concurrency` in flight, as the app sends them (via the bridge) and straight to Redis. */
async function runRedisCompare(job: RedisCompareJob): Promise<RedisCompareResult> {
  const keys = redisKeys(job.keyPrefix).board;
  const upstash = new UpstashRedis({ url: job.bridgeUrl, token: job.bridgeToken, enableTelemetry: false, automaticDeserialization: false });
  const store = createBoardStore(upstash, keys);
  const direct = new IORedis(job.redisUrl);
  const sha = (await direct.script("LOAD", APPLY)) as string;
  let version = 0;
  /** A submit's writes: the user's new state on all time, today's and this week's board. */
  const updates = () => {
    version += 1;
    const write = { userId: `anchor-${version % 10_000}`, version, score: version, reachedMicros: String(1_700_000_000_000_000 + version), displayName: "anchor", visible: true };
    return scopesAt(Date.now()).map((scope) => ({ scope, writes: [write] }));
  };
  try {
    const viaBridge = await closedLoop(job, async () => {
      await store.apply(updates());
    });
    const straight = await closedLoop(job, async () => {
      const call = applyCall(keys, updates());
      await direct.evalsha(sha, call.keys.length, ...call.keys, ...call.args);
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
          countError(errors, error);
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
    generatorCpuPercent: cpuPercent(cpu, elapsedMs),
  };
}

serveRequests(runRedisCompare);
