/**
 * Races: the same action submitted many times at once, and a crowd of players whose submits
 * are duplicated, reordered and delayed at random. Exactly one submit of each action may count.
 */
import { SIGNAL_TIMEOUT_MS, type Harness, type Scenario } from "../harness";
import { behind, inParallel, LiveSubscriber, read, seededRandom, shuffle, sleep, waitUntilCompletable, type Player, type StartedAction } from "../load";
import { ACTION_RULES } from "../../src/server/scoring/rules";
import { signUpOverHttp } from "../users";

const SOLO_ACTIONS = 100;
const SOLO_COPIES = 5;
const CROWD = 100;
const CROWD_ACTIONS = 20;
const COMPLETE_TASK_DELTA = ACTION_RULES.COMPLETE_TASK.delta;
/** The longest random delay before a crowd submit: the reordering fault's size. */
const MAX_SUBMIT_DELAY_MS = 300;

export const races: Scenario = {
  name: "races",
  title: "concurrent duplicates of one user's actions; a crowd with random duplicates and delays",
  async run(harness) {
    const app = await harness.apps.get("primary");
    const seed = Number(process.env.FAULTS_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const random = seededRandom(seed);
    const failures: string[] = [];

    // 1. One user: 100 actions, each submitted 5 times, all 500 at once.
    const [solo] = (await harness.players("race_solo", 1, app.url)) as [Player];
    const soloActions = await startAll(harness, [solo], SOLO_ACTIONS, failures);
    await waitUntilCompletable(latestCompletable(soloActions));
    const soloSends = shuffle(soloActions.flatMap((entry) => Array<typeof entry>(SOLO_COPIES).fill(entry)), random);
    await Promise.all(soloSends.map(({ player, action }) => harness.ledger.submit(player.client, player.userId, action)));
    for (const { action } of soloActions) {
      const record = harness.ledger.submits.get(`${solo.userId}/${action.actionId}`);
      const applied = record?.acked.filter((result) => !result.replayed).length ?? 0;
      const replayed = record?.acked.filter((result) => result.replayed).length ?? 0;
      if (applied !== 1 || replayed !== SOLO_COPIES - 1) {
        failures.push(`solo action ${action.actionId}: ${applied} applied, ${replayed} replayed, refused ${record?.refused.join(",") || "none"}, ${record?.unknown ?? 0} unanswered`);
      }
    }
    const [soloScore] = await harness.sql<{ score: string }[]>`select score::text from scores where user_id = ${solo.userId}`;
    if (Number(soloScore?.score) !== SOLO_ACTIONS * COMPLETE_TASK_DELTA) failures.push(`solo score ${soloScore?.score}, expected ${SOLO_ACTIONS * COMPLETE_TASK_DELTA}`);

    // 2. A crowd: 100 inserted users and 3 who signed up over HTTP, 20 actions each; every
    //    submit sent 1–3 times, all shuffled, each after a random delay; readers and live
    //    subscribers watch throughout.
    const crowd = [...(await harness.players("race_crowd", CROWD, app.url)), ...(await signUpOverHttp(app.url, "race_signup", 3))];
    const stop = new AbortController();
    const subscribers = Array.from({ length: 3 }, () => new LiveSubscriber(harness.anonymous(app.url), harness.ledger, { limit: 100 }));
    const reading = read(harness.ledger, harness.anonymous(app.url), stop.signal, null, 200);
    const crowdActions = await startAll(harness, crowd, CROWD_ACTIONS, failures);
    await waitUntilCompletable(latestCompletable(crowdActions));
    const crowdSends = shuffle(
      crowdActions.flatMap((entry) => Array<typeof entry>(1 + Math.floor(random() * random() * 3)).fill(entry)),
      random,
    );
    await inParallel(crowdSends, 48, async ({ player, action }) => {
      await sleep(random() * MAX_SUBMIT_DELAY_MS); // justified: the random delay is the fault itself (reordering), not a wait for anything.
      await harness.ledger.submit(player.client, player.userId, action);
    });
    stop.abort();
    const reads = await reading;
    if (reads.failed > 0) failures.push(`${reads.failed} of ${reads.tried} board reads failed`);
    for (const { player, action } of crowdActions) {
      const record = harness.ledger.submits.get(`${player.userId}/${action.actionId}`);
      const applied = record?.acked.filter((result) => !result.replayed).length ?? 0;
      if (applied !== 1 || record?.acked.length !== crowdSends.filter((send) => send.action === action).length) {
        failures.push(`crowd action ${action.actionId}: ${applied} applied of ${record?.acked.length ?? 0} acknowledged; refused ${record?.refused.join(",") || "none"}`);
      }
    }
    const wrongScores = await harness.sql<{ user_id: string; score: string }[]>`
      select user_id, score::text from scores where user_id in ${harness.sql(crowd.map((player) => player.userId))} and score <> ${CROWD_ACTIONS * COMPLETE_TASK_DELTA}`;
    for (const row of wrongScores) failures.push(`crowd user ${row.user_id}: score ${row.score}, expected ${CROWD_ACTIONS * COMPLETE_TASK_DELTA}`);

    // A change every subscriber watches, made after the races: they still follow the board.
    const board = await harness.changeBoard(app.url);
    const lagging = await behind(subscribers, board, SIGNAL_TIMEOUT_MS);
    if (lagging.length > 0) failures.push(`live subscribers did not reach the final board (version ${board.version}): at ${lagging.join(", ")}`);
    await Promise.all(subscribers.map((subscriber) => subscriber.close()));

    return {
      load: `1 user × ${SOLO_ACTIONS} actions × ${SOLO_COPIES} copies = ${soloSends.length} concurrent submits; ${crowd.length} users (3 signed up over HTTP) × ${CROWD_ACTIONS} actions = ${crowdActions.length} actions, ${crowdSends.length} submits in random order with 0–${MAX_SUBMIT_DELAY_MS} ms delays, 48 in flight; 1 reader, 3 live subscribers`,
      faults: `duplicates and reordering only (seed ${seed}; FAULTS_SEED=${seed} replays it)`,
      failures,
    };
  },
};

/** Starts `count` COMPLETE_TASK actions for each player (32 requests in flight). */
async function startAll(harness: Harness, players: Player[], count: number, failures: string[]) {
  const jobs = players.flatMap((player) => Array.from({ length: count }, () => player));
  const started = await inParallel(jobs, 32, async (player) => ({ player, outcome: await harness.ledger.start(player.client, player.userId, "COMPLETE_TASK") }));
  const actions: { player: Player; action: StartedAction }[] = [];
  for (const { player, outcome } of started) {
    if (outcome.kind === "ok") actions.push({ player, action: outcome.value });
    else failures.push(`action.start for ${player.userId}: ${outcome.kind} ${"reason" in outcome ? outcome.reason : outcome.kind === "unanswered" ? outcome.error : ""}`);
  }
  if (actions.length === 0) throw new Error("no action could be started");
  return actions;
}

function latestCompletable(actions: { action: StartedAction }[]) {
  return { minCompleteAt: new Date(Math.max(...actions.map(({ action }) => action.minCompleteAt.getTime()))) };
}
