import { inject } from "vitest";

// Before any test file imports the app: point env.js at this run's database, bridge and key prefix.
Object.assign(process.env, inject("testEnv"), { NODE_ENV: "test", ADMIN_USERNAMES: "root_admin", LOG_LEVEL: "warn" });
