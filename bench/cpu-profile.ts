/**
 * Summarises a V8 .cpuprofile (node --cpu-prof) by self time: per function and per package.
 * Next.js bundles server code into minified chunks, so frames are mapped back through the
 * build's source maps (node:module's SourceMap) to the original file and its package.
 */
import { existsSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

export type ProfileSummary = {
  totalMs: number;
  byPackage: { name: string; ms: number }[];
  /** Time with the package anywhere on the stack: what calling into it costs, callees included. */
  inclusiveByPackage: { name: string; ms: number }[];
  byFunction: { name: string; where: string; pkg: string; ms: number }[];
};

const sourceMaps = new Map<string, SourceMap | null>();

function sourceMapFor(url: string) {
  if (!sourceMaps.has(url)) {
    let map: SourceMap | null = null;
    try {
      const file = `${fileURLToPath(url)}.map`;
      if (existsSync(file)) map = new SourceMap(JSON.parse(readFileSync(file, "utf8")));
    } catch {
      // no usable map: attribute to the chunk itself
    }
    sourceMaps.set(url, map);
  }
  return sourceMaps.get(url)!;
}

/** The original source of a frame, and which package it belongs to. */
function locate(frame: CallFrame): { where: string; pkg: string } {
  if (!frame.url) return { where: frame.functionName || "(native)", pkg: frame.functionName.startsWith("(") ? frame.functionName : "(native)" };
  if (frame.url.startsWith("node:")) return { where: frame.url, pkg: "node" };
  let source = frame.url.startsWith("file:") ? fileURLToPath(frame.url) : frame.url;
  let line = frame.lineNumber + 1;
  const map = frame.url.startsWith("file:") ? sourceMapFor(frame.url) : null;
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number } | undefined;
  if (entry?.originalSource) {
    // Map sources are relative to the chunk, or bundler URLs (webpack://next/…, turbopack:///[turbopack]/…).
    const original = decodeURIComponent(entry.originalSource);
    source = /^[a-z]+:\/\//.test(original) ? original.replace("webpack://next/", "node_modules/next/") : path.resolve(path.dirname(source), original);
    line = (entry.originalLine ?? 0) + 1;
  }
  source = decodeURIComponent(source);
  if (source.startsWith("turbopack:///[turbopack]")) return { where: source, pkg: "next" };
  const modules = source.lastIndexOf("node_modules/");
  if (modules !== -1) {
    const rest = source.slice(modules + "node_modules/".length).split("/");
    const pkg = rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
    return { where: `${source.slice(modules)}:${line}`, pkg };
  }
  const relative = path.relative(process.cwd(), source);
  if (relative.startsWith("src/")) return { where: `${relative}:${line}`, pkg: "app (src/)" };
  return { where: `${relative}:${line}`, pkg: relative.startsWith(".next/") ? "(build output, unmapped)" : relative };
}

export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, index) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const packageOf = new Map<number, string>();
  const pkgOf = (id: number) => {
    if (!packageOf.has(id)) packageOf.set(id, locate(nodes.get(id)!.callFrame).pkg);
    return packageOf.get(id)!;
  };
  const inclusive = new Map<string, number>();
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, { name: string; where: string; pkg: string; ms: number }>();
  let totalMs = 0;
  for (const [id, ms] of selfMs) {
    const frame = nodes.get(id)!.callFrame;
    if (frame.functionName === "(idle)") continue;
    totalMs += ms;
    const { where, pkg } = locate(frame);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
    const onStack = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) onStack.add(pkgOf(at));
    for (const name of onStack) inclusive.set(name, (inclusive.get(name) ?? 0) + ms);
    const key = `${frame.functionName}@${where}`;
    const entry = byFunction.get(key) ?? { name: frame.functionName || "(anonymous)", where, pkg, ms: 0 };
    entry.ms += ms;
    byFunction.set(key, entry);
  }
  return {
    totalMs,
    byPackage: [...byPackage].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms),
    inclusiveByPackage: [...inclusive].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms),
    byFunction: [...byFunction.values()].sort((a, b) => b.ms - a.ms).slice(0, top),
  };
}

export function formatProfile(summary: ProfileSummary) {
  const share = (ms: number) => `${((ms / summary.totalMs) * 100).toFixed(1).padStart(5)} %`;
  return [
    `busy (non-idle) samples: ${(summary.totalMs / 1000).toFixed(1)} s`,
    "",
    "self time by package:",
    ...summary.byPackage.slice(0, 20).map((entry) => `  ${share(entry.ms)}  ${entry.name}`),
    "",
    "time with the package on the stack (callees included):",
    ...summary.inclusiveByPackage.slice(0, 20).map((entry) => `  ${share(entry.ms)}  ${entry.name}`),
    "",
    "self time by function:",
    ...summary.byFunction.map((entry) => `  ${share(entry.ms)}  ${entry.name}  (${entry.where})`),
    "",
  ].join("\n");
}
