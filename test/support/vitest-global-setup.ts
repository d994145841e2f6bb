import type { TestProject } from "vitest/node";

import { startTestRun, type TestRun } from "./services";

declare module "vitest" {
  export interface ProvidedContext {
    testRun: TestRun;
  }
}

/** Once per `vitest run`: a migrated template database and a bridge, shared by every test file. */
export default async function setup(project: TestProject) {
  const { run, stop } = await startTestRun("unit");
  project.provide("testRun", run);
  return stop;
}
