/**
 * How big each scenario is: the full run (a few minutes) and `--quick` (under a minute, for CI:
 * every scenario runs, scaled down, so the harness never rots; its numbers mean little).
 */
export type BenchOptions = {
  quick: boolean;
  reuseBuild: boolean;
  /** Users on the board for the submit scenario and the small top-reads run. */
  boardUsers: number;
  /** The large board for top reads (1M in the full run). */
  largeBoardUsers: number;
  /** Users the live driver bumps; they hold the top of the board (see scenarios/live.ts). */
  liveDrivers: number;
  /** Hidden users that only pgbench writes to, so its writes never touch the app's users. */
  anchorUsers: number;
  /** Closed-loop client counts for submits and the database anchor. */
  clientCounts: number[];
  topClients: number;
  /** Measured seconds per load step, after `warmupSeconds` of unmeasured load. */
  stepSeconds: number;
  warmupSeconds: number;
  /** Live fan-out: subscribers over two instances, then the one-instance ramp. */
  liveSubscribers: number;
  liveSeconds: number;
  rampSteps: number[];
  rampSeconds: number;
  /** Submits per second while live latency is measured. */
  liveSubmitRate: number;
  /** Live latency at low load: this many submits, one at a time, at most `lowLoadSubmitRate` a second. */
  lowLoadSubmits: number;
  lowLoadSubmitRate: number;
  redisBenchmarkRequests: number;
  bridgeCalls: number;
};

export function parseOptions(argv: string[]): BenchOptions {
  const quick = argv.includes("--quick");
  const common = { quick, reuseBuild: argv.includes("--reuse-build"), topClients: 64, liveSubmitRate: 20, liveDrivers: 50, lowLoadSubmitRate: 5 };
  if (quick) {
    return {
      ...common,
      boardUsers: 1_000,
      largeBoardUsers: 20_000,
      anchorUsers: 2_000,
      clientCounts: [16, 64, 256],
      stepSeconds: 1,
      warmupSeconds: 0.5,
      lowLoadSubmits: 20,
      liveSubscribers: 100,
      liveSeconds: 2,
      rampSteps: [100, 200],
      rampSeconds: 1.5,
      redisBenchmarkRequests: 5_000,
      bridgeCalls: 500,
    };
  }
  return {
    ...common,
    boardUsers: 1_000,
    largeBoardUsers: 1_000_000,
    anchorUsers: 20_000,
    clientCounts: [16, 64, 256],
    stepSeconds: 10,
    warmupSeconds: 2,
    lowLoadSubmits: 100,
    liveSubscribers: 1_000,
    liveSeconds: 20,
    rampSteps: [1_000, 2_500, 5_000, 10_000],
    rampSeconds: 10,
    redisBenchmarkRequests: 200_000,
    bridgeCalls: 20_000,
  };
}
