/**
 * A progress bar on stderr: the run's steps with their expected durations, redrawn in place on
 * a terminal; one line per step otherwise (CI logs).
 */
export type Step = { name: string; expectedSeconds: number };

export class Progress {
  private readonly total: number;
  private done = 0;
  private current: { step: Step; startedAt: number; detail: string } | null = null;
  private readonly timer: NodeJS.Timeout | null;
  private readonly interactive = Boolean(process.stderr.isTTY);
  private readonly startedAt = performance.now();

  constructor(private readonly steps: Step[]) {
    this.total = steps.reduce((sum, step) => sum + step.expectedSeconds, 0);
    this.timer = this.interactive ? setInterval(() => this.draw(), 250) : null;
    this.timer?.unref();
  }

  /** Starts the named step (the previous one is done). */
  begin(name: string) {
    this.finishCurrent();
    const step = this.steps.find((candidate) => candidate.name === name) ?? { name, expectedSeconds: 0 };
    this.current = { step, startedAt: performance.now(), detail: "" };
    if (!this.interactive) process.stderr.write(`[${this.percent().toFixed(0).padStart(3)}% ${this.elapsed().padStart(4)} s] ${name}\n`);
    this.draw();
  }

  /** A detail for the current step (e.g. "c=64"). */
  detail(text: string) {
    if (!this.current) return;
    this.current.detail = text;
    if (!this.interactive) process.stderr.write(`  ${this.elapsed().padStart(11)} s  ${this.current.step.name}: ${text}\n`);
    this.draw();
  }

  /** A line of its own above the bar (results as they come). */
  log(line: string) {
    if (this.interactive) process.stderr.write(`\r\x1b[2K${line}\n`);
    else process.stderr.write(`${line}\n`);
    this.draw();
  }

  end() {
    this.finishCurrent();
    if (this.timer) clearInterval(this.timer);
    if (this.interactive) process.stderr.write(`\r\x1b[2K`);
  }

  private finishCurrent() {
    if (this.current) this.done += this.current.step.expectedSeconds;
    this.current = null;
  }

  private percent() {
    const inStep = this.current
      ? Math.min(1, (performance.now() - this.current.startedAt) / 1000 / Math.max(this.current.step.expectedSeconds, 0.001)) *
        this.current.step.expectedSeconds
      : 0;
    return this.total === 0 ? 100 : Math.min(100, ((this.done + inStep) / this.total) * 100);
  }

  private elapsed() {
    return ((performance.now() - this.startedAt) / 1000).toFixed(0);
  }

  private draw() {
    if (!this.interactive) return;
    const width = 30;
    const filled = Math.round((this.percent() / 100) * width);
    const elapsed = this.elapsed();
    const label = this.current ? `${this.current.step.name}${this.current.detail ? ` (${this.current.detail})` : ""}` : "";
    const line = `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${this.percent().toFixed(0).padStart(3)}% ${elapsed}s ${label}`;
    process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 120) - 1)}`);
  }
}
