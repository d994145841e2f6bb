/**
 * `npm run admin` (scripts/admin.ts) as an operator runs it: a child process with only its
 * arguments and environment to go on. Tests and e2e specs make their admins with it.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export type AdminCliResult = { code: number; stdout: string; stderr: string };

/** Runs `tsx scripts/admin.ts <args>` with `env` over this process's environment (its DATABASE_URL first of all). */
export function runAdminCli(args: string[], env: Record<string, string | undefined> = {}): Promise<AdminCliResult> {
  const root = path.resolve(import.meta.dirname, "../..");
  return run(path.join(root, "node_modules/.bin/tsx"), ["scripts/admin.ts", ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    timeout: 60_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, stdout: error.stdout ?? "", stderr: error.stderr ?? "" }),
  );
}

/** Grants the admin role through the command, failing loudly if it did not. */
export async function grantAdminWithCli(username: string, env: Record<string, string | undefined> = {}) {
  const result = await runAdminCli(["grant", username, "--by", "test suite"], env);
  if (result.code !== 0) throw new Error(`npm run admin -- grant ${username}: exit ${result.code}\n${result.stdout}${result.stderr}`);
  return result;
}
