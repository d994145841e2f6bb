/**
 * `npm run check:vercel`: the offline proof that this project deploys to Vercel as intended.
 *
 * Runs `vercel build` — the CLI's own build, the one Vercel runs — with no network and no
 * account: project settings come from a local `.vercel/project.json` (framework, an empty
 * install command so nothing is fetched, Node 22), telemetry and update checks are off and the
 * CLI keeps its state in a temporary HOME. The deploy's variables are stand-ins on reserved
 * `.invalid` hosts, so the env checks that refuse local services pass, and SKIP_DB_MIGRATIONS=1
 * stops vercel-build's migration step from reaching for that database (the step itself is
 * tested in scripts/migrate.test.ts). Then it asserts on the Build Output in `.vercel/output`.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { SSE_SETTINGS, STREAM_CLOSE_MARGIN_MS } from "../src/server/api/sse-settings";

const ROOT = path.resolve(import.meta.dirname, "..");
const VERCEL_DIR = path.join(ROOT, ".vercel");
const OUTPUT = path.join(VERCEL_DIR, "output");
const NODE_VERSION = "22.x";
const PROJECT = {
  projectId: "prj_local",
  orgId: "team_local",
  settings: { framework: "nextjs", installCommand: "", nodeVersion: NODE_VERSION },
};
const started = performance.now();

const projectFile = path.join(VERCEL_DIR, "project.json");
if (existsSync(projectFile)) {
  const linked = JSON.parse(readFileSync(projectFile, "utf8")) as { projectId?: string };
  if (linked.projectId !== PROJECT.projectId) {
    console.error(
      `✗ ${path.relative(ROOT, projectFile)} links this checkout to a real Vercel project (${linked.projectId}).\n` +
        "  check:vercel writes its own offline settings there: run it in a clean clone, or move .vercel/ aside.",
    );
    process.exit(2);
  }
}
rmSync(OUTPUT, { recursive: true, force: true });
mkdirSync(VERCEL_DIR, { recursive: true });
writeFileSync(projectFile, `${JSON.stringify(PROJECT, null, 2)}\n`);

const home = mkdtempSync(path.join(tmpdir(), "check-vercel-"));
// Nothing from this shell's own configuration leaks into the deploy being simulated.
const inherited = Object.fromEntries(
  Object.entries(process.env).filter(
    ([key]) => !/^(DATABASE_|POSTGRES_|UPSTASH_|KV_|REDIS_|AUTH_|NEXTAUTH_|VERCEL|NOW_|GITHUB_|ADMIN_|ALLOW_LOCAL)/.test(key),
  ),
);
const env: Record<string, string | undefined> = {
  ...inherited,
  HOME: home,
  XDG_CONFIG_HOME: path.join(home, "config"),
  XDG_DATA_HOME: path.join(home, "data"),
  XDG_CACHE_HOME: path.join(home, "cache"),
  NO_UPDATE_NOTIFIER: "1",
  VERCEL_TELEMETRY_DISABLED: "1",
  NEXT_TELEMETRY_DISABLED: "1",
  // A preview deploy's variables, as the Neon and Upstash integrations would set them.
  POSTGRES_URL: "postgresql://check:check@ep-check-pooler.neon.invalid/scoreboard?sslmode=require",
  KV_REST_API_URL: "https://check-vercel.upstash.invalid",
  KV_REST_API_TOKEN: "check-vercel-token",
  AUTH_SECRET: randomBytes(32).toString("base64url"),
  SKIP_DB_MIGRATIONS: "1",
};

console.log(`--- vercel build (offline; CLI state in ${home})`);
const log = await runVercelBuild(env).finally(() => rmSync(home, { recursive: true, force: true }));
const buildSeconds = ((performance.now() - started) / 1000).toFixed(1);

console.log(`--- assertions on ${path.relative(ROOT, OUTPUT)}`);
const results: { ok: boolean; text: string }[] = [];
const check = (ok: boolean, text: string) => results.push({ ok, text });

check(log.code === 0, `vercel build exited with ${log.code}`);
check(
  /migrations skipped \(SKIP_DB_MIGRATIONS=1\)/.test(log.output),
  "the build ran vercel-build (its migration step spoke; skipped here on purpose)",
);

const config = readJson(path.join(OUTPUT, "config.json")) as { version?: number } | null;
check(config?.version === 3, `config.json is Build Output API v3 (version ${config?.version})`);

type VcConfig = { runtime?: string; maxDuration?: number; supportsResponseStreaming?: boolean; launcherType?: string };
const trpc = functionConfig("api/trpc/[trpc]");
const expectedRuntime = `nodejs${NODE_VERSION}`;
check(trpc !== null, "a function for /api/trpc/[trpc]");
if (trpc) {
  check(trpc.runtime === expectedRuntime, `/api/trpc/[trpc] runs on ${trpc.runtime} (want ${expectedRuntime})`);
  // The deployed limit, from the route's literal: live streams must end before it, with room to close.
  const streamSeconds = SSE_SETTINGS.maxDurationMs / 1000;
  check(
    typeof trpc.maxDuration === "number" && trpc.maxDuration * 1000 - SSE_SETTINGS.maxDurationMs >= STREAM_CLOSE_MARGIN_MS,
    `/api/trpc/[trpc] maxDuration ${trpc.maxDuration} s outlasts live streams (${streamSeconds} s) by at least ${STREAM_CLOSE_MARGIN_MS / 1000} s`,
  );
  check(trpc.supportsResponseStreaming === true, "/api/trpc/[trpc] supports response streaming (SSE)");
}

const routes = ["api/auth/[...nextauth]", "api/health", "api/metrics"];
for (const route of routes) {
  const vc = functionConfig(route);
  check(vc !== null && Boolean(vc.runtime?.startsWith("nodejs")), `a Node.js function for /${route} (${vc?.runtime ?? "missing"})`);
}

const page = functionConfig("index");
check(page !== null && Boolean(page.runtime?.startsWith("nodejs")), `the scoreboard page (/) is a function (${page?.runtime ?? "missing"})`);
const prerendered = ["functions/index.prerender-config.json", "static/index.html", "static/index"].filter((file) =>
  existsSync(path.join(OUTPUT, file)),
);
check(prerendered.length === 0, `the scoreboard page is not prerendered${prerendered.length ? ` (found ${prerendered.join(", ")})` : ""}`);

for (const { ok, text } of results) console.log(`${ok ? "✓" : "✗"} ${text}`);
if (trpc) {
  const { filePathMap: _files, ...summary } = trpc as VcConfig & { filePathMap?: unknown };
  console.log(`\n/api/trpc/[trpc].func/.vc-config.json (without filePathMap):\n${JSON.stringify(summary, null, 2)}`);
}
const failed = results.filter((result) => !result.ok).length;
console.log(`\n${failed ? `✗ ${failed} check(s) failed` : "✓ check:vercel passed"} in ${buildSeconds} s`);
process.exit(failed ? 1 : 0);

/** The function's .vc-config.json (functions may be symlinks to a shared group), or null. */
function functionConfig(route: string): VcConfig | null {
  return readJson(path.join(OUTPUT, "functions", `${route}.func`, ".vc-config.json")) as VcConfig | null;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

/** Runs the CLI, streaming its output indented, and returns its exit code and output. */
function runVercelBuild(childEnv: Record<string, string | undefined>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(ROOT, "node_modules/.bin/vercel"), ["build", "--yes"], {
      cwd: ROOT,
      env: childEnv as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let atLineStart = true;
    const timer = setTimeout(() => child.kill("SIGTERM"), 10 * 60_000);
    const forward = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      const indented = text.replace(/\n(?=[^\n])/g, "\n  │ ");
      process.stdout.write(atLineStart && text.length > 0 ? `  │ ${indented}` : indented);
      atLineStart = text.endsWith("\n");
    };
    child.stdout.on("data", forward);
    child.stderr.on("data", forward);
    child.on("close", (code: number | null) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output });
    });
  });
}
