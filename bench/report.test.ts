import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { markdown, publishes, writeReport, type RunReport } from "./report";

const info: RunReport["info"] = {
  startedAt: "2026-11-30T13:07:52.543Z",
  wallSeconds: 328.4,
  quick: false,
  machine: { cores: 2, cpu: "AMD EPYC", memoryGiB: 24, os: "Linux 6.18" },
  versions: { node: "v20.20.2", postgres: "15.20", redis: "7.0.15" },
  loadAverage: { before: [5.75, 3.18, 2.85], after: [3.13, 3.67, 3.2] },
  commit: "f39d12b",
  openFileLimit: 20000,
};

const latency = (p50: number) => ({ count: 100, p50, p95: p50 * 2, p99: p50 * 3, max: p50 * 4, mean: p50 });

const report: RunReport = {
  info,
  targets: [{ target: "leaderboard.top at 64 connections ≥ 0.8× the bare route handler", measured: "16.85× (23,504/s, p99 6.0 ms)", comparedWith: "bare route: 1,395/s", verdict: "met" }],
  rows: [
    { scenario: "top reads", variant: "1,000 users", clients: 64, throughput: 23504.4, latency: latency(2.63), anchor: { name: "bare route", throughput: 1395 }, ratio: 16.849, serverCpuPercent: 100.2 },
    { scenario: "memory per open stream", variant: "1,000 streams", clients: 1000, rssMiB: [168.3], note: "25 KiB per stream" },
    { scenario: "top reads", variant: "1,000,000 users", clients: 64, throughput: 21782, latency: latency(2.84), errors: { "503": 2 }, note: "a | b" },
  ],
};

describe("bench results as Markdown", () => {
  const text = markdown(report);

  it("names the run: date, kind, commit, machine, software", () => {
    expect(text.startsWith("# Benchmark results\n")).toBe(true);
    expect(text).toContain("| started | 2026-11-30T13:07:52.543Z |");
    expect(text).toContain("| kind | full, 328 s |");
    expect(text).toContain("| commit | f39d12b |");
    expect(text).toContain("| machine | 2 cores (AMD EPYC), 24 GiB memory, Linux 6.18 |");
    expect(text).toContain("| software | node v20.20.2, postgres 15.20, redis 7.0.15 |");
    expect(text).toContain("| load average before / after | 5.75 3.18 2.85 / 3.13 3.67 3.20 |");
    expect(text).not.toContain("Incomplete");
    expect(text).toContain("Written by `npm run bench` at the end of a complete full run; do not edit by hand.");
  });

  it("renders the targets, then one table per scenario in the order they first ran", () => {
    expect(text).toContain("| leaderboard.top at 64 connections ≥ 0.8× the bare route handler | 16.85× (23,504/s, p99 6.0 ms) | bare route: 1,395/s | met |");
    const sections = [...text.matchAll(/^### (.+)$/gm)].map((match) => match[1]);
    expect(sections).toEqual(["top reads", "memory per open stream"]);
    expect(text.indexOf("## Targets")).toBeLessThan(text.indexOf("## Scenarios"));
  });

  it("shows only the columns a scenario fills, with the figures formatted as before", () => {
    const top = text.slice(text.indexOf("### top reads"), text.indexOf("### memory per open stream"));
    expect(top).toContain("| variant | clients | throughput /s | p50 ms | p95 ms | p99 ms | max ms | errors | anchor | ratio | server CPU | note |");
    expect(top).toContain("| 1,000 users | 64 | 23,504 | 2.63 | 5.26 | 7.89 | 10.5 |  | bare route: 1,395/s | 16.85 | 100 % |  |");
    expect(top).toContain("| 1,000,000 users | 64 | 21,782 | 2.84 | 5.68 | 8.52 | 11.4 | 2× 503 |  |  |  | a \\| b |");
    const memory = text.slice(text.indexOf("### memory per open stream"));
    expect(memory).toContain("| variant | clients | RSS MiB | note |\n| --- | ---: | ---: | --- |\n| 1,000 streams | 1,000 | 168 | 25 KiB per stream |");
  });

  it("reads runs saved before the machine had fields, and flags an incomplete run", () => {
    const old = markdown({ ...report, info: { ...info, quick: true, machine: "2 × AMD EPYC, 24 GiB, Linux 6.18", incomplete: "wrk exited with 1" } });
    expect(old).toContain("| machine | 2 × AMD EPYC, 24 GiB, Linux 6.18 |");
    expect(old).toContain("| kind | --quick, 328 s |");
    expect(old).toContain("**Incomplete**: a step failed (wrk exited with 1)");
    expect(old).toContain("A `--quick` run, kept in `bench/results/` only; `bench/RESULTS.md` holds the latest complete full run.");
    expect(old).not.toContain("do not edit by hand");
  });
});

describe("which runs replace bench/RESULTS.md", () => {
  let dir: string | null = null;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  const write = (runInfo: RunReport["info"]) => {
    dir = mkdtempSync(path.join(tmpdir(), "bench-report-"));
    const files = { json: `${dir}/run.json`, markdown: `${dir}/run.md`, svg: `${dir}/run.svg`, published: `${dir}/RESULTS.md` };
    return { files, written: writeReport(files, { ...report, info: runInfo }) };
  };

  it("a complete full run writes its Markdown to the published file as well", () => {
    const { files, written } = write(info);
    expect(written).toEqual([files.markdown, files.published]);
    expect(readFileSync(files.published, "utf8")).toBe(readFileSync(files.markdown, "utf8"));
    expect(JSON.parse(readFileSync(files.json, "utf8"))).toEqual({ ...report, info });
  });

  it("a --quick run or a failed run leaves it alone", () => {
    expect(publishes({ ...info, quick: true })).toBe(false);
    expect(publishes({ ...info, incomplete: "a step failed" })).toBe(false);
    const { files, written } = write({ ...info, quick: true });
    expect(written).toEqual([files.markdown]);
    expect(existsSync(files.published)).toBe(false);
    expect(existsSync(files.svg)).toBe(true);
  });
});
