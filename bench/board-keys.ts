import { boardKeysUnder } from "../src/server/redis/board";
import type { TestEnv } from "../test/support/services";

/** The app's board keys under the run's prefix (as src/server/scoring/index.ts names them). */
export function boardKeys(env: Pick<TestEnv, "REDIS_KEY_PREFIX">) {
  return boardKeysUnder(`${env.REDIS_KEY_PREFIX}board`);
}
