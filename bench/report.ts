/**
 * The run's results: JSON, Markdown and an SVG chart of latency percentiles in bench/results/
 * (git-ignored) for every run, and for a complete full run the same Markdown in bench/RESULTS.md,
 * the committed record of where the product stands.
 *
 * `tsx bench/report.ts <run.json> <out.md>` renders a saved run's JSON (bench/results/<stamp>.json)
 * to Markdown again, e.g. to restore bench/RESULTS.md from a full run.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { describeErrors, isMeasured, type ResultRow } from "./scenarios/context";
import { FRAMEWORK_ANCHOR } from "./scenarios/anchors";
import { DATABASE_ANCHOR } from "./scenarios/database";
import { LIVE_ONE_INSTANCE, LIVE_TWO_INSTANCES, STREAM_MEMORY } from "./scenarios/live";
import { PAGE_READS } from "./scenarios/page-reads";
import { SCORE_WRITE } from "./scenarios/statement-vs-transaction";
import { SUBMIT } from "./scenarios/submit";
import { TOP_READS } from "./scenarios/top";
import { WINDOW_COST } from "./scenarios/window-cost";
import type { TargetResult } from "./targets";

/** The committed results of the latest complete full run. */
export const PUBLISHED_RESULTS = path.resolve("bench/RESULTS.md");

export type Machine = { cores: number; cpu: string; memoryGiB: number; os: string };

export type RunInfo = {
  startedAt: string;
  wallSeconds: number;
  quick: boolean;
  /** The steps of an `--only` run (absent in a whole run). */
  only?: string[];
  /** A string in runs saved before the machine was recorded field by field. */
  machine: Machine | string;
  versions: Record<string, string>;
  loadAverage: { before: number[]; after: number[] };
  commit: string;
  openFileLimit: number;
  /** Set when a step failed: the rows measured before it. */
  incomplete?: string;
};

export type RunReport = { info: RunInfo; targets: TargetResult[]; rows: ResultRow[] };

export type ReportFiles = { json: string; markdown: string; svg: string; published: string };

/** Only a whole full run that finished stands for the product: a --quick, --only or failed run never replaces the record. */
export function publishes(info: RunInfo) {
  return !info.quick && info.only === undefined && info.incomplete === undefined;
}

/** Writes the run's files; returns the Markdown files written. */
export function writeReport(files: ReportFiles, report: RunReport): string[] {
  const text = markdown(report);
  writeFileSync(files.json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(files.markdown, text);
  writeFileSync(files.svg, svgChart(report.rows));
  if (!publishes(report.info)) return [files.markdown];
  writeFileSync(files.published, text);
  return [files.markdown, files.published];
}

const ms = (value: number | null | undefined) => (!isMeasured(value) ? "" : value < 10 ? value.toFixed(2) : value.toFixed(1));
const count = (value: number | null | undefined) => (!isMeasured(value) ? "" : Math.round(value).toLocaleString("en"));
const percent = (value: number | null | undefined) => (!isMeasured(value) ? "" : `${value.toFixed(0)} %`);
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
const tableRow = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;

/** What each scenario measures, printed above its table. Scenarios without an entry get none. */
const SCENARIO_NOTES: Record<string, string> = {
  [FRAMEWORK_ANCHOR]:
    "The floor this stack puts under any request: a minimal Next.js app (bench/anchors/, built with the project's packages) with a bare route handler, and a tRPC route whose one procedure is a signed-in no-op `score.submit` (the session decoded as the app does, the product's input schema, a constant answer), sent the submit scenario's very requests.",
  [TOP_READS]:
    "`leaderboard.top` (limit 10) as the page asks for it, with 1,000 users on the board and then with the large board (bulk-loaded; the app rebuilds its Redis board from Postgres first). Compared with the bare route handler, and the large board with the small one. With 1,000 users, the same read of today's and this week's board (`window: \"day\"`, `\"week\"`; the bench seeds those users' day and week scores, so each board holds them), each compared with all time's.",
  [SUBMIT]:
    "`score.submit` as the browser sends it (a batch of one, superjson, a session cookie), for actions started earlier, round robin over 1,000 signed-in users so that the per-user rate limit (on, at its default) is not what is measured. Compared with the no-op mutation at the same connection count; the note compares it with pgbench at the same client count.",
  [SCORE_WRITE]:
    "A submit's database write straight against Postgres (a pool set up like the app's): the app's single prepared statement against a typed Drizzle transaction doing the same work (`bench/transaction-baseline.ts`: lock the row, check, insert the audit row, update the score and the day's and week's window rows), at 1, 16 and 64 in flight, in alternating rounds; each row is the median round, every round in its note. Afterwards every touched user's score, and each of their day and week scores, must equal the sum of their audit rows in it.",
  [WINDOW_COST]:
    "What the day and week boards add to a submit: its write path (the Postgres statement, then the Redis script through `@upstash/redis` and the bridge, as the app publishes after commit) with the three boards, as the app does, against the same path with the all-time board only (`bench/all-time-baseline.ts`: the statement without its window rows, the script writing all time only), from one worker, same pool, users and concurrency, in alternating rounds; each row is the median round, with the time spent in each part and the machine's CPU per call (every process, all rounds pooled). The cost ratio is the all-time-only rate ÷ the three boards' rate; the CPU difference is what the boards add to one submit, which the targets compare with a whole score.submit's CPU in the same run. Afterwards every score and window score must equal the sum of its audit rows, and each Redis board Postgres.",
  [DATABASE_ANCHOR]:
    "`pgbench -M prepared` running the score service's own statement, rendered by Drizzle from `src/server/scoring/score-service.ts`, against the same database, writing to hidden users nothing else touches. It runs at most at the client count that leaves room for the app's pools under `max_connections`; the note says when that is fewer.",
  "redis anchor (redis-benchmark)":
    "`redis-benchmark` straight against redis-server: the board's write script (`APPLY`, a submit's whole Redis work after commit: a write to each of all time, today and this week) and `ZREVRANGE 0 9`, the nearest command to a top read.",
  "redis anchor (ioredis, direct)": "The same board write through ioredis straight to redis-server, from a worker process.",
  "bridge (@upstash/redis → bridge)":
    "The same board write through `@upstash/redis` and the local Upstash bridge, as the app sends it on this machine; compared with ioredis direct.",
  "live latency, low load":
    "One `leaderboard.live` subscriber and one submit at a time on one instance, each sent once the previous one was seen, at most 5 a second. Latency is the event's arrival minus the submit's send.",
  [LIVE_TWO_INSTANCES]:
    "SSE subscribers over two instances while the top 10 changes (submits alternate between the instances, so half the changes travel by Redis pub/sub). Latency is the event's arrival minus the submit's send, over every subscriber and change; the note says how many changes every stream showed.",
  [STREAM_MEMORY]:
    "Streams opened on one instance in steps; at each, once the instance's `scoreboard_live_subscribers` gauge counts them, its RSS growth over its RSS before any stream, per stream.",
  [LIVE_ONE_INSTANCE]: "The largest step's streams held on one instance while the top 10 changes; latency as above, with the instance's RSS and CPU.",
  [PAGE_READS]:
    "What the page's reads beyond its stream cost the live fan-out. The subscribers of the two-instance fan-out (same size, same 20 changes/s), of which some are signed-in viewers' pages (a worker of their own, each stream with its session cookie): the players who submit and board users below the top. With the reads on, each viewer reads as the page does, each in its own phases, one GET with its cookie in the browser's batch form: `leaderboard.me` and `leaderboard.around` at once after its own submit (\"me\" alone while it is on the top); `leaderboard.around` alone after a frame its own stream received that could move it (a player new on the top within two best actions of its score, or a neighbour moving) and does not show it, at most once per 2 s, and a minute after its last refresh. The drivers below the top are within reach of nearly every frame and read about every 2 s; the board users far below read once a minute. The same streams without and with the reads, in alternating rounds after an unmeasured warm-up round with the reads; each side pools its rounds' latencies, timed on the anonymous streams in a process apart from the reads. The last row is the reads themselves, with the reading worker's own CPU.",
};

type Column = { header: string; right: boolean; value: (row: ResultRow) => string };

/** Every column a row may fill; a scenario's table shows those that any of its rows fills. */
const COLUMNS: Column[] = [
  { header: "variant", right: false, value: (row) => row.variant },
  { header: "clients", right: true, value: (row) => count(row.clients) },
  { header: "throughput /s", right: true, value: (row) => count(row.throughput) },
  { header: "p50 ms", right: true, value: (row) => ms(row.latency?.p50) },
  { header: "p95 ms", right: true, value: (row) => ms(row.latency?.p95) },
  { header: "p99 ms", right: true, value: (row) => ms(row.latency?.p99) },
  { header: "max ms", right: true, value: (row) => ms(row.latency?.max) },
  { header: "errors", right: false, value: (row) => describeErrors(row.errors) },
  { header: "anchor", right: false, value: (row) => (row.anchor ? `${row.anchor.name}: ${count(row.anchor.throughput)}/s` : "") },
  { header: "ratio", right: true, value: (row) => (isMeasured(row.ratio) ? row.ratio.toFixed(2) : "") },
  { header: "RSS MiB", right: true, value: (row) => row.rssMiB?.map((value) => value.toFixed(0)).join(" + ") ?? "" },
  { header: "generator CPU", right: true, value: (row) => percent(row.generatorCpuPercent) },
  { header: "server CPU", right: true, value: (row) => percent(row.serverCpuPercent) },
  { header: "note", right: false, value: (row) => row.note ?? "" },
];

function describeMachine(machine: Machine | string) {
  if (typeof machine === "string") return machine;
  return `${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB memory, ${machine.os}`;
}

/** The run as Markdown: what ran where, the targets, then one table per scenario in the order they ran. */
export function markdown({ info, targets, rows }: RunReport) {
  const load = (values: number[]) => values.map((n) => n.toFixed(2)).join(" ");
  const lines = [
    "# Benchmark results",
    "",
    publishes(info)
      ? "Written by `npm run bench` at the end of a complete full run; do not edit by hand. A `--quick` or failed run\nwrites only to `bench/results/` (git-ignored), as every run does."
      : `A ${info.quick ? "`--quick`" : info.incomplete === undefined ? `\`--only\` (${info.only!.join(", ")})` : "failed"} run, kept in \`bench/results/\` only; \`bench/RESULTS.md\` holds the latest complete full run.`,
    "",
    "| run | |",
    "| --- | --- |",
    tableRow(["started", info.startedAt]),
    tableRow(["kind", `${info.quick ? "--quick" : "full"}, ${info.wallSeconds.toFixed(0)} s`]),
    tableRow(["commit", info.commit]),
    tableRow(["machine", describeMachine(info.machine)]),
    tableRow(["software", Object.entries(info.versions).map(([name, version]) => `${name} ${version}`).join(", ")]),
    tableRow(["open-file limit", String(info.openFileLimit)]),
    tableRow(["load average before / after", `${load(info.loadAverage.before)} / ${load(info.loadAverage.after)}`]),
    "",
    ...(info.incomplete ? [`**Incomplete**: a step failed (${info.incomplete}); the rows below are those measured before it.`, ""] : []),
    "Each figure that matters is a ratio to a limit of the same machine measured in the same run (an anchor):",
    "on a shared machine absolute numbers drift by 15 % or more between runs, ratios much less. The run starts",
    "the production build twice (`npm start`) on services of its own, bulk-loads users with SQL and checks the",
    "Redis board against Postgres before measuring. HTTP load comes from wrk (closed loop, replaying requests the",
    "bench prepared), live subscribers from a Node worker. `generator CPU` is the load generator's own; `server CPU`",
    "is the serving `next-server` process (100 % is one core).",
    "",
    "## Targets",
    "",
    "| target | measured | compared with | verdict |",
    "| --- | --- | --- | --- |",
    ...targets.map((target) => tableRow([target.target, target.measured, target.comparedWith, target.verdict])),
    "",
    "## Scenarios",
  ];
  for (const [scenario, group] of groupByScenario(rows)) {
    const columns = COLUMNS.filter((column, index) => index === 0 || group.some((row) => column.value(row) !== ""));
    const note = SCENARIO_NOTES[scenario];
    lines.push(
      "",
      `### ${scenario}`,
      "",
      ...(note ? [note, ""] : []),
      tableRow(columns.map((column) => column.header)),
      `| ${columns.map((column) => (column.right ? "---:" : "---")).join(" | ")} |`,
      ...group.map((row) => tableRow(columns.map((column) => column.value(row)))),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Rows by scenario, scenarios in the order of their first row, rows in the order they ran. */
function groupByScenario(rows: ResultRow[]) {
  const groups = new Map<string, ResultRow[]>();
  for (const row of rows) groups.set(row.scenario, [...(groups.get(row.scenario) ?? []), row]);
  return groups;
}

const PERCENTILES = [
  { key: "p50", color: "#4c78a8" },
  { key: "p95", color: "#f58518" },
  { key: "p99", color: "#e45756" },
  { key: "max", color: "#9d9d9d" },
] as const;

/** Horizontal bars per result row, one per percentile, on a log scale (latencies span µs to seconds). */
export function svgChart(rows: ResultRow[]) {
  const charted = rows.filter((row) => isMeasured(row.latency?.p50));
  const labelWidth = 420;
  const plotWidth = 520;
  const barHeight = 5;
  const rowHeight = PERCENTILES.length * barHeight + 8;
  const top = 40;
  const height = top + charted.length * rowHeight + 40;
  const values = charted.flatMap((row) => PERCENTILES.map(({ key }) => row.latency![key])).filter((value) => value > 0);
  const low = Math.pow(10, Math.floor(Math.log10(Math.min(...values, 1))));
  const high = Math.pow(10, Math.ceil(Math.log10(Math.max(...values, 10))));
  const x = (value: number) => labelWidth + (Math.log10(Math.max(value, low) / low) / Math.log10(high / low)) * plotWidth;
  const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + plotWidth + 20}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="13" font-weight="bold">Latency percentiles per scenario (ms, log scale)</text>`,
    ...PERCENTILES.map(({ key, color }, index) => `<rect x="${labelWidth + index * 70}" y="26" width="10" height="8" fill="${color}"/><text x="${labelWidth + index * 70 + 14}" y="34">${key}</text>`),
  ];
  for (let decade = low; decade <= high; decade *= 10) {
    parts.push(`<line x1="${x(decade)}" y1="${top}" x2="${x(decade)}" y2="${height - 30}" stroke="#ddd"/>`);
    parts.push(`<text x="${x(decade)}" y="${height - 16}" text-anchor="middle">${decade >= 1 ? decade : decade.toPrecision(1)}</text>`);
  }
  charted.forEach((row, index) => {
    const y = top + index * rowHeight;
    parts.push(`<text x="${labelWidth - 8}" y="${y + rowHeight / 2 + 3}" text-anchor="end">${escape(`${row.scenario} · ${row.variant}`)}</text>`);
    PERCENTILES.forEach(({ key, color }, bar) => {
      const value = row.latency![key];
      parts.push(`<rect x="${labelWidth}" y="${y + 2 + bar * barHeight}" width="${Math.max(1, x(value) - labelWidth).toFixed(1)}" height="${barHeight - 1}" fill="${color}"><title>${key} ${ms(value)} ms</title></rect>`);
    });
  });
  parts.push("</svg>", "");
  return parts.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    console.error("usage: tsx bench/report.ts <bench/results/<stamp>.json> <out.md>");
    process.exit(2);
  }
  writeFileSync(output, markdown(JSON.parse(readFileSync(input, "utf8")) as RunReport));
  console.error(`wrote ${output}`);
}
