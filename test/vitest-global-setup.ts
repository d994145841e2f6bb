import type { TestProject } from "vitest/node";

import { startTestServices, type TestEnv } from "./services";

declare module "vitest" {
  export interface ProvidedContext {
    testEnv: TestEnv;
  }
}

export default async function setup(project: TestProject) {
  const services = await startTestServices("unit");
  project.provide("testEnv", services.env);
  return () => services.stop();
}
