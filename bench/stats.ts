/** Latency samples and their summary, shared by every scenario and both load generators. */

export type LatencySummary = { count: number; p50: number; p95: number; p99: number; max: number; mean: number };

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
