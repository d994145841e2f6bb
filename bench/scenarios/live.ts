/**
 * Scenario 5 — live fan-out. Subscribers (bench/subscribers.ts, a worker process) hold
 * `leaderboard.live` streams while a driver here submits at a steady rate; each subscriber's
 * latency is its event's arrival time minus the submit's send time (wall clock, one machine).
 *
 * Every submit must change the top 10. The drivers hold the top of the board at ten score
 * levels a point apart (seed.ts), and the driver always bumps the lowest of them by 10: that
 * lifts it above every other driver (or level with at most a few that reached the score
 * first), so it lands in the top 10 each time. With 50 drivers each submits once every
 * 2.5 s at 20/s, well under the per-user rate limit.
 *
 * First `liveSubscribers` streams over the two instances (submits alternate between them, so
 * half the changes reach each instance through Redis pub/sub); then a ramp on one instance,
 * reporting its RSS and the latency at each step.
 */
import { randomUUID } from "node:crypto";

import { ScoreboardSession, type SubmitResult } from "../../test/support/client";
import { issueActionToken } from "../../src/server/scoring/token";
import type { BenchUser } from "../load";
import { rssMiB } from "../proc";
import { DRIVER_BASE_SCORE } from "../seed";
import { wallClockMs } from "../stats";
import type { CollectResult, OpenResult } from "../subscribers";
import type { Worker } from "../worker";
import { formatRow, type BenchContext, type ResultRow } from "./context";

/** How long events may take to arrive after the last submit before latencies are collected. */
const SETTLE_MS = 1_000;

type Driver = { user: BenchUser; score: number; sessions: ScoreboardSession[] };

/** The drivers as seeded (seed.ts), each with a signed-in session on every instance. */
export function createDrivers(users: BenchUser[], origins: string[]): Driver[] {
  return users.map((user, index) => ({
    user,
    score: DRIVER_BASE_SCORE + ((index + 1) % 10),
    sessions: origins.map((origin) => new ScoreboardSession(origin, { headers: { cookie: user.cookie } })),
  }));
}

export type LiveLoad = { subscribers: Worker; drivers: Driver[]; targets: number[]; rate: number; seconds: number; tokenKey: Buffer };

export async function liveScenario(ctx: BenchContext, subscribers: Worker) {
  const drivers = createDrivers(
    ctx.drivers,
    ctx.apps.map((app) => app.url),
  );
  const live = (targets: number[], seconds: number) =>
    measureLive({ subscribers, drivers, targets, rate: ctx.options.liveSubmitRate, seconds, tokenKey: ctx.tokenKey });

  // Before any stream: the baseline each step's per-stream memory is counted from.
  const [app] = ctx.apps;
  const baselineRss = await rssMiB(app.pid);

  // Two instances.
  const half = Math.floor(ctx.options.liveSubscribers / 2);
  ctx.progress.detail(`${ctx.options.liveSubscribers} subscribers over two instances`);
  const opened = [
    await subscribers.request<OpenResult>({ command: "open", origin: ctx.apps[0].url, count: half }),
    await subscribers.request<OpenResult>({ command: "open", origin: ctx.apps[1].url, count: ctx.options.liveSubscribers - half }),
  ];
  const twoInstances = await live([0, 1], ctx.options.liveSeconds);
  report(ctx, {
    scenario: "live fan-out",
    variant: `${ctx.options.liveSubscribers.toLocaleString("en")} subscribers, two instances`,
    ...twoInstances.row,
    rssMiB: await Promise.all(ctx.apps.map((app) => rssMiB(app.pid))),
    note: [twoInstances.note, openFailures(opened.at(-1)!)].filter(Boolean).join("; "),
  });
  await subscribers.request({ command: "close" });
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

  // One instance, ramping up.
  for (const count of ctx.options.rampSteps) {
    ctx.progress.detail(`${count.toLocaleString("en")} subscribers on one instance`);
    const before = await subscribers.request<OpenResult>({ command: "open", origin: app.url, count: 0 });
    const result = await subscribers.request<OpenResult>({ command: "open", origin: app.url, count: count - before.open });
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const rss = await rssMiB(app.pid);
    const step = await live([0], ctx.options.rampSeconds);
    report(ctx, {
      scenario: "live fan-out",
      variant: `${count.toLocaleString("en")} subscribers, one instance`,
      ...step.row,
      rssMiB: [rss],
      note: [
        `held ${result.open.toLocaleString("en")}`,
        openFailures(result),
        step.note,
        `${(((rss - baselineRss) * 1024) / Math.max(1, result.open)).toFixed(0)} KiB per stream over ${baselineRss.toFixed(0)} MiB before any stream`,
      ]
        .filter(Boolean)
        .join("; "),
    });
  }
  await subscribers.request({ command: "close" });
}

function report(ctx: BenchContext, row: ResultRow) {
  ctx.results.push(row);
  ctx.progress.log(formatRow(row));
}

function openFailures(result: OpenResult) {
  return result.failed > 0 ? `${result.failed} failed to open (${Object.entries(result.errors).map(([name, n]) => `${n}× ${name}`).join(", ")})` : "";
}

/** Submits at `rate` for `seconds` (to the given instances in turn) and collects every subscriber's latency. */
export async function measureLive({ subscribers, drivers, targets, rate, seconds, tokenKey }: LiveLoad) {
  await subscribers.request({ command: "mark" });
  const sent: [string, number][] = [];
  const errors: Record<string, number> = {};
  const inFlight: Promise<void>[] = [];
  const intervalMs = 1000 / rate;
  const total = Math.round(seconds * rate);
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = started + i * intervalMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const driver = drivers.reduce((lowest, candidate) => (candidate.score < lowest.score ? candidate : lowest));
    driver.score += 10;
    const session = driver.sessions[targets[i % targets.length]!]!;
    inFlight.push(
      submit(tokenKey, driver.user, session).then(
        ({ result, sentAt }) => {
          driver.score = result.score;
          sent.push([`${driver.user.id}:${result.score}`, sentAt]);
        },
        (error: Error) => {
          driver.score -= 10;
          const name = error.message.slice(0, 80);
          errors[name] = (errors[name] ?? 0) + 1;
        },
      ),
    );
  }
  await Promise.all(inFlight);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const collected = await subscribers.request<CollectResult>({ command: "collect", sent });
  const row: Partial<ResultRow> = {
    clients: collected.open,
    throughput: sent.length / seconds,
    latency: collected.latency,
    errors,
    generatorCpuPercent: collected.generatorCpuPercent,
  };
  const delivered = collected.expected > 0 ? (collected.delivered / collected.expected) * 100 : 0;
  return { row, note: `${delivered.toFixed(1)} % of ${collected.expected.toLocaleString("en")} expected events arrived` };
}

async function submit(tokenKey: Buffer, user: BenchUser, session: ScoreboardSession) {
  const action = issueActionToken(tokenKey, { userId: user.id, actionType: "COMPLETE_TASK", actionId: randomUUID(), issuedAt: Date.now() - 3_000 });
  const sentAt = wallClockMs();
  const result = await session.trpc<SubmitResult>("mutation", "score.submit", { actionId: action.actionId, token: action.token });
  return { result, sentAt };
}

