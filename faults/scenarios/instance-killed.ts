/**
 * An app instance killed (SIGKILL to its Next.js process) while live subscribers are connected
 * to it through a round-robin proxy. They reconnect — to the surviving instance — resuming from
 * their last event id, get the current board, and keep receiving later changes.
 */
import type { Board } from "../../test/support/client";
import type { Scenario } from "../harness";
import { sleep, steadyLoad, submitUntilDefinite, waitUntilCompletable } from "../load";
import { startRoundRobinProxy } from "../proxy";

const SUBSCRIBERS = 10;

export const instanceKilled: Scenario = {
  name: "instance-killed",
  title: "one of two app instances SIGKILLed under live subscribers and load",
  async run(harness) {
    const [primary, secondary] = await Promise.all([harness.apps.get("primary"), harness.apps.get("secondary")]);
    const proxy = await startRoundRobinProxy([primary.port, secondary.port]);
    const failures: string[] = [];
    const players = await harness.players("instance_kill", 10, proxy.url);
    const load = steadyLoad(harness.ledger, proxy.url, players, () => harness.anonymous(proxy.url), SUBSCRIBERS);
    try {
      const connected = await Promise.all(load.subscribers.map((subscriber) => waitFor(() => subscriber.latest !== null, 15_000)));
      if (!connected.every(Boolean)) failures.push(`${connected.filter((ok) => !ok).length} subscribers never got a first board`);
      if ((proxy.connectionsTo.get(secondary.port) ?? 0) === 0) failures.push("the proxy sent nothing to the instance to be killed");
      await sleep(3_000);
      const killedPid = await harness.apps.kill("secondary");
      await sleep(4_000);
      const { describe } = await load.stop();

      // Later submits still arrive, live, at every subscriber.
      const [player] = players;
      const started = await harness.ledger.start(player!.session, player!.userId, "COMPLETE_TASK");
      if (started.kind !== "ok") throw new Error(`action.start after the kill: ${started.kind}`);
      await waitUntilCompletable(started.value);
      const submitted = await submitUntilDefinite(harness.ledger, player!, started.value);
      if (submitted.kind !== "ok") failures.push(`a submit after the kill answered ${submitted.kind}`);
      const board = await harness.anonymous(proxy.url).trpc<Board>("query", "leaderboard.top", { limit: 100 });
      const behind = await load.subscribersBehind(board, 8_000);
      if (behind.length > 0) failures.push(`${behind.length} subscribers did not get the current board (version ${board.version}): at ${behind.join(", ")}`);

      const resumed = load.subscribers.filter((subscriber) => subscriber.reconnects > 0);
      if (resumed.length === 0) failures.push("no subscriber lost its stream: the kill hit nobody");
      const resent = load.subscribers.reduce((sum, subscriber) => sum + subscriber.resentAfterResume, 0);
      if (resent > 0) failures.push(`${resent} resumed streams began with the version the subscriber already had`);
      return {
        load: `${describe}; all through a round-robin TCP proxy over 2 instances`,
        faults: `SIGKILL to the secondary's next-server (pid ${killedPid}) 3 s into the load; ${resumed.length} of ${SUBSCRIBERS} subscribers lost their stream and resumed with their last event id, all ${SUBSCRIBERS} reached the current board`,
        failures,
        allowUnanswered: true,
      };
    } finally {
      await load.close();
      await proxy.close();
    }
  },
};

async function waitFor(condition: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}
