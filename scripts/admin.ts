/**
 * `npm run admin -- grant <username>`, `npm run admin -- revoke <username>`, `npm run admin -- list`:
 * the only way to give or take the admin role (PRODUCT.md, Sign-in), against DATABASE_URL. Every
 * change is recorded in role_changes with who ran it: `--by <name>`, else ADMIN_ACTOR (a setting
 * of this command only, so not in src/env.js), else the operating-system user.
 * Exit codes: 0 done (or nothing to do), 1 refused (unknown user, database error), 2 bad usage.
 */
import os from "node:os";
import { parseArgs } from "node:util";

import nextEnv from "@next/env";
import { z } from "zod";

import { actorSchema, anyUsernameSchema, grantAdmin, listAdmins, revokeAdmin } from "../src/server/auth/roles";

const USAGE = "usage: npm run admin -- grant <username> | revoke <username> | list   [--by <who is running this>]";

const commandSchema = z.union([z.tuple([z.literal("list")]), z.tuple([z.enum(["grant", "revoke"]), anyUsernameSchema])]);

function usageError(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

const args = (() => {
  try {
    return parseArgs({ options: { by: { type: "string" } }, allowPositionals: true });
  } catch (error) {
    return usageError((error as Error).message);
  }
})();
const command = commandSchema.safeParse(args.positionals);
if (!command.success) {
  const badName = command.error.issues.find((issue) => issue.path[0] === 1);
  usageError(badName ? `"${args.positionals[1]}" ${badName.message}` : "unknown command");
}
const actor = actorSchema.safeParse(args.values.by ?? process.env.ADMIN_ACTOR ?? osUser());

nextEnv.loadEnvConfig(process.cwd());
const { env } = await import("../src/env.js");
const { createDatabase } = await import("../src/server/db/index.js");
const { db, client } = createDatabase(env.DATABASE_URL, { serverless: false, pooler: env.DATABASE_POOLER, poolMax: 1 });
const target = new URL(env.DATABASE_URL);
console.log(`• database: ${target.hostname}${target.pathname}`);

try {
  if (command.data[0] === "list") {
    const admins = await listAdmins(db);
    if (admins.length === 0) console.log("no admins");
    for (const admin of admins) {
      const granted = admin.grantedAt ? `granted ${admin.grantedAt.toISOString()} by ${admin.grantedBy}` : "no grant on record";
      console.log(`${admin.username}\t${JSON.stringify(admin.displayName)}\t${granted}${admin.banned ? "\t(banned: no admin rights while banned)" : ""}`);
    }
  } else if (!actor.success) {
    console.error(`who is running this: ${actor.error.issues[0]?.message}; say it with --by <name>\n${USAGE}`);
    process.exitCode = 2;
  } else {
    const [verb, username] = command.data;
    const result = await (verb === "grant" ? grantAdmin : revokeAdmin)(db, username, actor.data);
    if (!result.ok) {
      console.error(`no user named "${username}": nothing changed`);
      process.exitCode = 1;
    } else if (!result.changed) {
      console.log(`${result.user.username} ${verb === "grant" ? "is already" : "is not"} an admin: nothing changed`);
    } else {
      console.log(`✓ ${result.user.username} ${verb === "grant" ? "is now" : "is no longer"} an admin (recorded: ${verb} by ${actor.data})`);
    }
  }
} catch (error) {
  // A driver's first line (e.g. the connection refused); a statement's parameters follow on later lines.
  console.error(`failed: ${(error as Error).message.split("\n")[0]}`);
  process.exitCode = 1;
} finally {
  await client.end({ timeout: 5 });
}

/** The operating-system account running this; undefined where it has no name (some containers). */
function osUser() {
  try {
    return os.userInfo().username;
  } catch {
    return undefined;
  }
}
