/** The run's results as JSON, Markdown tables (the targets, then every row) and an SVG chart of latency percentiles. */
import { writeFileSync } from "node:fs";

import { describeErrors, isMeasured, type ResultRow } from "./scenarios/context";
import type { TargetResult } from "./targets";

export type RunInfo = {
  startedAt: string;
  wallSeconds: number;
  quick: boolean;
  machine: string;
  versions: Record<string, string>;
  loadAverage: { before: number[]; after: number[] };
  commit: string;
  openFileLimit: number;
  /** Set when a step failed: the rows measured before it. */
  incomplete?: string;
};

export type ReportFiles = { json: string; markdown: string; svg: string };

export function writeReport(files: ReportFiles, info: RunInfo, targets: TargetResult[], rows: ResultRow[]) {
  writeFileSync(files.json, `${JSON.stringify({ info, targets, rows }, null, 2)}\n`);
  writeFileSync(files.markdown, markdown(info, targets, rows));
  writeFileSync(files.svg, svgChart(rows));
}

const ms = (value: number | null | undefined) => (!isMeasured(value) ? "" : value < 10 ? value.toFixed(2) : value.toFixed(1));
const count = (value: number | null | undefined) => (!isMeasured(value) ? "" : Math.round(value).toLocaleString("en"));
const percent = (value: number | null | undefined) => (!isMeasured(value) ? "" : `${value.toFixed(0)} %`);

export function markdown(info: RunInfo, targets: TargetResult[], rows: ResultRow[]) {
  const header = [
    `Run ${info.startedAt} (${info.quick ? "--quick" : "full"}, ${info.wallSeconds.toFixed(0)} s), commit ${info.commit}.`,
    ...(info.incomplete ? [`INCOMPLETE: a step failed (${info.incomplete}); the rows below are those measured before it.`] : []),
    `Machine: ${info.machine}; ${Object.entries(info.versions).map(([name, version]) => `${name} ${version}`).join(", ")}; open-file limit ${info.openFileLimit}.`,
    `Load average before/after: ${info.loadAverage.before.map((n) => n.toFixed(2)).join(" ")} / ${info.loadAverage.after.map((n) => n.toFixed(2)).join(" ")}.`,
    "",
  ];
  const targetTable = [
    "| target | measured | compared with | verdict |",
    "| --- | --- | --- | --- |",
    ...targets.map((target) => `| ${[target.target, target.measured, target.comparedWith, target.verdict].join(" | ")} |`),
    "",
  ];
  const table = [
    "| scenario | variant | clients | throughput /s | p50 ms | p95 ms | p99 ms | max ms | errors | anchor | ratio | RSS MiB | generator CPU | server CPU | note |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | --- |",
    ...rows.map((row) =>
      [
        row.scenario,
        row.variant,
        count(row.clients),
        count(row.throughput),
        ms(row.latency?.p50),
        ms(row.latency?.p95),
        ms(row.latency?.p99),
        ms(row.latency?.max),
        describeErrors(row.errors),
        row.anchor ? `${row.anchor.name}: ${count(row.anchor.throughput)}/s` : "",
        isMeasured(row.ratio) ? row.ratio.toFixed(2) : "",
        row.rssMiB?.map((value) => value.toFixed(0)).join(" + ") ?? "",
        percent(row.generatorCpuPercent),
        percent(row.serverCpuPercent),
        row.note ?? "",
      ].join(" | "),
    ).map((line) => `| ${line} |`),
  ];
  return [...header, ...targetTable, ...table, ""].join("\n");
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
