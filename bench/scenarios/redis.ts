/**
 * Scenario 3 — the Redis anchors, on the same redis-server:
 * - redis-benchmark running the board's write script (APPLY in src/server/redis/board-store.ts, the
 *   whole post-commit Redis work of a submit: one write to each of all time, today and this week)
 *   on keys of its own, at the submit client counts;
 *   and ZREVRANGE 0 9 on the real board, the closest single command to a top read;
 * - the bridge's overhead: the same write through @upstash/redis and the bridge (as the app
 *   sends it) against ioredis straight to redis-server, from the load generator process.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

import { scopesAt } from "../../src/server/board/types";
import { APPLY, applyCall, boardMember } from "../../src/server/redis/board-store";
import { redisKeys } from "../../src/server/redis/keys";
import type { TestEnv } from "../../test/support/services";
import type { RedisCompareResult, RedisCompareJob } from "../redis-compare";
import type { LoadResult } from "../stats";
import { report, type BenchContext } from "./context";

const run = promisify(execFile);
/** User ids, versions and members drawn from this many: nearly every call writes a new user. */
const RANDOM_KEYSPACE = 100_000_000;

export async function redisAnchorScenario(ctx: BenchContext) {
  const redisUrl = new URL(ctx.env.REDIS_URL);
  const host = ["-h", redisUrl.hostname, "-p", redisUrl.port || "6379"];
  const sha = (await ctx.redis.script("LOAD", APPLY)) as string;
  const call = randomizedApplyCall(anchorKeyPrefix(ctx.env));
  const applyCommand = ["EVALSHA", sha, String(call.keys.length), ...call.keys, ...call.args];
  for (const clients of ctx.options.clientCounts) {
    ctx.progress.detail(`redis-benchmark APPLY, ${clients} clients`);
    report(ctx, { scenario: "redis anchor (redis-benchmark)", variant: `board write (APPLY), ${clients} clients`, clients, ...(await redisBenchmark(host, clients, ctx.options.redisBenchmarkRequests, applyCommand)) });
  }
  ctx.progress.detail("redis-benchmark ZREVRANGE");
  const topCommand = ["ZREVRANGE", redisKeys(ctx.env.REDIS_KEY_PREFIX).board.ranking, "0", "9", "WITHSCORES"];
  report(ctx, { scenario: "redis anchor (redis-benchmark)", variant: `top 10 (ZREVRANGE), ${ctx.options.topClients} clients`, clients: ctx.options.topClients, ...(await redisBenchmark(host, ctx.options.topClients, ctx.options.redisBenchmarkRequests, topCommand)) });

  for (const concurrency of [1, 64]) {
    ctx.progress.detail(`bridge vs direct, ${concurrency} in flight`);
    const job: RedisCompareJob = {
      bridgeUrl: ctx.env.UPSTASH_REDIS_REST_URL,
      bridgeToken: ctx.env.UPSTASH_REDIS_REST_TOKEN,
      redisUrl: ctx.env.REDIS_URL,
      keyPrefix: `${anchorKeyPrefix(ctx.env)}compare:`,
      concurrency,
      calls: ctx.options.bridgeCalls,
    };
    const { bridge, direct } = await ctx.redisCompare.request<RedisCompareResult>(job);
    report(ctx, { scenario: "redis anchor (ioredis, direct)", variant: `board write, ${concurrency} in flight`, clients: concurrency, ...direct });
    report(ctx, {
      scenario: "bridge (@upstash/redis → bridge)",
      variant: `board write, ${concurrency} in flight`,
      clients: concurrency,
      ...bridge,
      anchor: { name: "ioredis direct", throughput: direct.throughput },
      ratio: bridge.throughput / direct.throughput,
    });
  }
}

/** A submit's APPLY (a write to each current board) with redis-benchmark's placeholders: each write a random user, version and time. */
function randomizedApplyCall(prefix: string) {
  const sample = { userId: "00000000-0000-4000-8000-0000000000aa", version: 987_654_321, score: 100, reachedMicros: "1700000000000000", displayName: "anchor", visible: true };
  const member = boardMember(sample.reachedMicros, sample.userId);
  const placeholders: Record<string, string> = {
    [sample.userId]: "user:__rand_int__",
    [String(sample.version)]: "__rand_int__",
    [member]: "0000000000000000:__rand_int__",
  };
  const call = applyCall(
    redisKeys(prefix).board,
    scopesAt(Date.now()).map((scope) => ({ scope, writes: [sample] })),
  );
  return { keys: call.keys, args: call.args.map((arg) => placeholders[arg] ?? arg) };
}

/** The anchors' boards live under this prefix, apart from the app's (the run deletes it at the end). */
export function anchorKeyPrefix(env: Pick<TestEnv, "REDIS_KEY_PREFIX">) {
  return `${env.REDIS_KEY_PREFIX}anchor:`;
}

/** One redis-benchmark run; its CSV gives requests per second and latency percentiles. */
async function redisBenchmark(host: string[], clients: number, requests: number, command: string[]): Promise<LoadResult> {
  const args = [...host, "-c", String(clients), "-n", String(requests), "-r", String(RANDOM_KEYSPACE), "--csv", ...command];
  const { stdout } = await run("redis-benchmark", args, { maxBuffer: 1 << 20 });
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  const last = stdout.trim().split("\n").at(-1)!;
  const [, rps, avg, , p50, p95, p99, max] = last.split('","').map((field) => Number(field.replaceAll('"', "")));
  return {
    throughput: rps!,
    latency: { count: requests, p50: p50!, p95: p95!, p99: p99!, max: max!, mean: avg! },
    errors: {},
    generatorCpuPercent: NaN,
  };
}
