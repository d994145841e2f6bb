/**
 * How big each scenario is: the full run (under 10 minutes on 2 cores) and `--quick` (about a
 * minute, for CI: every scenario runs, scaled down, so the harness never rots; its numbers mean
 * little).
 */
export type BenchOptions = {
  quick: boolean;
  reuseBuild: boolean;
  /**
   * `--only "window cost,page reads"`: run only these steps (bench/run.ts's step names) and the
   * set-up they need, for working on one number; such a run never rewrites bench/RESULTS.md.
   */
  only: ReadonlySet<string> | null;
  /** Users on the board for the submit scenario and the small top-reads run. */
  boardUsers: number;
  /** The large board for top reads (1M in the full run). */
  largeBoardUsers: number;
  /** Users the live driver bumps; they hold the top of the board (see scenarios/drivers.ts). */
  liveDrivers: number;
  /**
   * Hidden users that only the database scenarios (pgbench, statement vs transaction) write to,
   * never the app; as many others for the window cost comparison.
   */
  anchorUsers: number;
  /** Connection counts for submits, the no-op mutation anchor and the database anchor. */
  clientCounts: number[];
  /** Submitters in flight for the score write compared two ways (scenarios/statement-vs-transaction.ts). */
  scoreWriteClients: number[];
  /** Submitters in flight for the submit's write path with three boards and with all time only (scenarios/window-cost.ts). */
  windowCostClients: number[];
  /** Measured seconds per implementation and round, and the rounds (each runs both), of both comparisons. */
  scoreWriteSeconds: number;
  scoreWriteRounds: number;
  /** Connections for top reads and the bare route anchor. */
  topClients: number;
  /** Measured seconds per load step, after `warmupSeconds` of unmeasured load (whole seconds: wrk counts no less). */
  stepSeconds: number;
  warmupSeconds: number;
  /** Live fan-out over two instances: this many subscribers while the top 10 changes `liveSubmitRate` times a second for `liveSeconds`. */
  liveSubscribers: number;
  liveSeconds: number;
  liveSubmitRate: number;
  /**
   * One instance holding many streams: its memory per stream at each step, then the live latency
   * at the last (largest) step while the top 10 changes `manyStreamsSubmitRate` times a second
   * for `manyStreamsSeconds`.
   */
  streamSteps: number[];
  manyStreamsSubmitRate: number;
  manyStreamsSeconds: number;
  /**
   * The page's extra reads (scenarios/page-reads.ts): `liveSubscribers` streams of which
   * `pageViewers` are signed-in viewers' pages, measured without and with their reads in
   * `pageReadsRounds` rounds of each (alternating), `pageReadsSeconds` each.
   */
  pageViewers: number;
  pageReadsSeconds: number;
  pageReadsRounds: number;
  /** Live latency at low load: this many submits, one at a time, at most `lowLoadSubmitRate` a second. */
  lowLoadSubmits: number;
  lowLoadSubmitRate: number;
  redisBenchmarkRequests: number;
  bridgeCalls: number;
};

export function parseOptions(argv: string[]): BenchOptions {
  const quick = argv.includes("--quick");
  const common = {
    quick,
    reuseBuild: argv.includes("--reuse-build"),
    only: onlySteps(argv),
    boardUsers: 1_000,
    liveDrivers: 50,
    topClients: 64,
    liveSubmitRate: 20,
    manyStreamsSubmitRate: 5,
    lowLoadSubmitRate: 5,
    scoreWriteClients: [1, 16, 64],
    windowCostClients: [1, 64],
  };
  if (quick) {
    return {
      ...common,
      largeBoardUsers: 20_000,
      anchorUsers: 2_000,
      clientCounts: [16, 64],
      scoreWriteSeconds: 1,
      scoreWriteRounds: 1,
      stepSeconds: 1,
      warmupSeconds: 1,
      lowLoadSubmits: 20,
      liveSubscribers: 100,
      liveSeconds: 2,
      streamSteps: [100, 200],
      manyStreamsSeconds: 2,
      pageViewers: 20,
      pageReadsSeconds: 2,
      pageReadsRounds: 1,
      redisBenchmarkRequests: 5_000,
      bridgeCalls: 500,
    };
  }
  return {
    ...common,
    largeBoardUsers: 1_000_000,
    anchorUsers: 20_000,
    clientCounts: [16, 64, 256],
    scoreWriteSeconds: 5,
    scoreWriteRounds: 3,
    stepSeconds: 10,
    warmupSeconds: 2,
    lowLoadSubmits: 100,
    liveSubscribers: 1_000,
    liveSeconds: 20,
    streamSteps: [1_000, 4_000, 10_000],
    manyStreamsSeconds: 10,
    // 15 % of the subscribers are signed-in viewers: the 50 players who submit and 100 others.
    pageViewers: 150,
    pageReadsSeconds: 10,
    // Four rounds a side: a p99 of tens of ms over two 10 s rounds moved by ±15 % from run to run.
    pageReadsRounds: 4,
    // Each redis-benchmark step still runs for seconds (a submit's APPLY writes three boards).
    redisBenchmarkRequests: 100_000,
    bridgeCalls: 20_000,
  };
}

function onlySteps(argv: string[]): ReadonlySet<string> | null {
  const index = argv.indexOf("--only");
  if (index === -1) return null;
  const names = (argv[index + 1] ?? "").split(",").map((name) => name.trim()).filter(Boolean);
  if (names.length === 0) throw new Error('--only takes step names, e.g. --only "window cost,page reads"');
  return new Set(names);
}
