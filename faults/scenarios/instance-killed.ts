/**
 * An app instance killed (SIGKILL to its Next.js process) while live subscribers are connected
 * to it through a round-robin proxy. They reconnect — to the surviving instance — resuming from
 * their last event id, get the current board, and keep receiving later changes.
 */
import { SIGNAL_TIMEOUT_MS, type Scenario } from "../harness";
import { steadyLoad } from "../load";
import { startRoundRobinProxy } from "../proxy";

const SUBSCRIBERS = 10;
const PLAYERS = 10;

export const instanceKilled: Scenario = {
  name: "instance-killed",
  title: "one of two app instances SIGKILLed under live subscribers and load",
  async run(harness) {
    const [primary, secondary] = await Promise.all([harness.apps.get("primary"), harness.apps.get("secondary")]);
    const proxy = await startRoundRobinProxy([primary.port, secondary.port]);
    const failures: string[] = [];
    const players = await harness.players("instance_kill", PLAYERS, proxy.url);
    const load = steadyLoad(harness.ledger, players, () => harness.anonymous(proxy.url), SUBSCRIBERS);
    try {
      const connected = await Promise.all(load.subscribers.map((subscriber) => subscriber.receives(1, SIGNAL_TIMEOUT_MS)));
      if (!connected.every(Boolean)) failures.push(`${connected.filter((ok) => !ok).length} subscribers never got a first board`);
      if ((proxy.connectionsTo.get(secondary.port) ?? 0) === 0) failures.push("the proxy sent nothing to the instance to be killed");
      // The kill hits a running load: as many actions completed as there are players, and reads answered.
      await load.progress.more({ completed: PLAYERS, reads: 4 }, SIGNAL_TIMEOUT_MS, "before the kill");
      const killedPid = await harness.apps.kill("secondary");
      // The load carries on through the surviving instance: as many actions again completed.
      await load.progress.more({ completed: PLAYERS, reads: 4 }, SIGNAL_TIMEOUT_MS, "after the kill");
      const { describe } = await load.stop();

      // Later changes still arrive, live, at every subscriber.
      const board = await harness.changeBoard(proxy.url);
      const behind = await load.subscribersBehind(board, SIGNAL_TIMEOUT_MS);
      if (behind.length > 0) failures.push(`${behind.length} subscribers did not get the current board (version ${board.version}): at ${behind.join(", ")}`);

      const resumed = load.subscribers.filter((subscriber) => subscriber.reconnects > 0);
      if (resumed.length === 0) failures.push("no subscriber lost its stream: the kill hit nobody");
      const resent = load.subscribers.reduce((sum, subscriber) => sum + subscriber.resentAfterResume, 0);
      if (resent > 0) failures.push(`${resent} resumed streams began with the version the subscriber already had`);
      return {
        load: `${describe}; all through a round-robin TCP proxy over 2 instances`,
        faults: `SIGKILL to the secondary's next-server (pid ${killedPid}) once ${PLAYERS} actions had completed; ${resumed.length} of ${SUBSCRIBERS} subscribers lost their stream and resumed with their last event id, all ${SUBSCRIBERS} reached the current board`,
        failures,
        allowUnanswered: true,
      };
    } finally {
      await load.close();
      await proxy.close();
    }
  },
};
