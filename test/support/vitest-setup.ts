import { afterAll, inject } from "vitest";

import { createTestEnv } from "./services";

// Each test file, before it imports the app: a database and Redis key prefix of its own, so no
// test sees another file's rows or keys; both are removed when the file is done.
const own = await createTestEnv(inject("testRun"), "file");
Object.assign(process.env, own.env, { NODE_ENV: "test", LOG_LEVEL: "warn" });
afterAll(() => own.stop());
