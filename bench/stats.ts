/** Latency samples and their summary, shared by every scenario and both load generators. */

export type LatencySummary = { count: number; p50: number; p95: number; p99: number; max: number; mean: number };

/** What a worker's closed-loop load measured. */
export type LoadResult = {
  latency: LatencySummary;
  throughput: number;
  /** Calls that failed, by error. */
  errors: Record<string, number>;
  /** The generator's own CPU over the measured window, in % of one core. */
  generatorCpuPercent: number;
};

/** Counts a failed call under the first line of its message. */
export function countError(errors: Record<string, number>, error: unknown) {
  const name = (error as Error).message.split("\n")[0]!.slice(0, 60);
  errors[name] = (errors[name] ?? 0) + 1;
}

/** CPU time used (`process.cpuUsage(mark)`) over `elapsedMs`, in % of one core. */
export function cpuPercent(cpu: NodeJS.CpuUsage, elapsedMs: number) {
  return ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100;
}

/** A growable array of latencies in milliseconds (Float64Array: millions of samples stay cheap). */
export class Samples {
  private values = new Float64Array(1024);
  private length = 0;

  add(value: number) {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  get count() {
    return this.length;
  }

  /** The samples as a plain array, rounded to µs (to send over IPC and pool with others'). */
  toArray(): number[] {
    return Array.from(this.values.subarray(0, this.length), (value) => Math.round(value * 1000) / 1000);
  }

  summary(): LatencySummary {
    return summarize(this.values.subarray(0, this.length));
  }
}

/** Nearest-rank percentiles of `values` (sorted in place). */
export function summarize(values: Float64Array): LatencySummary {
  values.sort();
  const count = values.length;
  if (count === 0) return { count, p50: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN };
  const at = (fraction: number) => values[Math.min(count - 1, Math.ceil(fraction * count) - 1)]!;
  let sum = 0;
  for (const value of values) sum += value;
  return { count, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: values[count - 1]!, mean: sum / count };
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export function wallClockMs() {
  return performance.timeOrigin + performance.now();
}
