/**
 * `leaderboard.live` read as the browser reads it: an SSE stream (parsed by eventsource-parser,
 * which handles what hand-written splitters got wrong — CRLF split across chunks, a BOM, bare CR
 * line ends) whose unnamed events carry a tracked board and whose named events (`connected`,
 * `ping`, `return`, `serialized-error`) are tRPC's bookkeeping.
 *
 * `liveEventReader` is the parser alone, for readers that bring their own HTTP (the benchmark's
 * thousands of streams on node:http); `LiveStream` is one stream over fetch, for tests and the
 * smoke test, keeping every snapshot with its arrival time.
 */
import { createParser } from "eventsource-parser";

import { queryPath, decodeBoard, type Board, type InputOf } from "./wire";

export type LiveEvents = {
  /** A board event: the tracked id (the board version) and the raw `data` (decode with decodeBoard). */
  onBoard(id: string | undefined, data: string): void;
  /** tRPC ended the stream (`return`) or sent an error (`serialized-error`). */
  onEnd?(reason: string): void;
  /** Any named bookkeeping event (`connected`, `ping`), for tests that wait on them. */
  onControl?(event: string): void;
};

/** A parser to feed a live stream's text to, chunk by chunk as it arrives. */
export function liveEventReader(events: LiveEvents) {
  const parser = createParser({
    onEvent(message) {
      if (message.event === undefined) events.onBoard(message.id, message.data);
      else if (message.event === "return") events.onEnd?.("the server ended the stream");
      else if (message.event === "serialized-error") events.onEnd?.(`the server sent an error: ${message.data}`);
      else events.onControl?.(message.event);
    },
  });
  return (chunk: string) => parser.feed(chunk);
}

export type Snapshot = { board: Board; id: string | undefined; at: number };

/** Opens requests: a ScoreboardClient, or anything with its `request`. */
export type Requester = { request(path: string, init?: RequestInit): Promise<Response> };

/**
 * One open stream. Every snapshot is kept with its arrival time (`performance.now()`), read
 * continuously from the moment the stream opens, so `until` can look back as well as wait.
 */
export class LiveStream {
  readonly snapshots: Snapshot[] = [];
  /** Named events seen so far (`connected`, `ping`), in order. */
  readonly controls: string[] = [];
  /** Called for each snapshot as it arrives (for callers that measure rather than wait). */
  onSnapshot: ((snapshot: Snapshot) => void) | null = null;
  private readonly abort = new AbortController();
  private failure: Error | null = null;
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly keepHistory: boolean) {}

  /** Opens the stream; `lastEventId` resumes as EventSource does after a reconnect. */
  static async open(
    client: Requester,
    input: InputOf<"leaderboard.live">,
    options: { lastEventId?: string; keepHistory?: boolean } = {},
  ): Promise<LiveStream> {
    const stream = new LiveStream(options.keepHistory ?? true);
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (options.lastEventId !== undefined) headers["last-event-id"] = options.lastEventId;
    const response = await client.request(queryPath("leaderboard.live", input), { headers, signal: stream.abort.signal });
    const type = response.headers.get("content-type") ?? "";
    if (!response.ok || !type.startsWith("text/event-stream") || !response.body) {
      throw new Error(`leaderboard.live: HTTP ${response.status} ${type || "(no content type)"}`);
    }
    void stream.pump(response.body.pipeThrough(new TextDecoderStream()));
    return stream;
  }

  /** Set once the stream has ended or failed. */
  get error() {
    return this.failure;
  }

  private async pump(body: ReadableStream<string>) {
    const feed = liveEventReader({
      onBoard: (id, data) => {
        const snapshot = { board: decodeBoard(data), id, at: performance.now() };
        if (this.keepHistory) this.snapshots.push(snapshot);
        this.onSnapshot?.(snapshot);
        this.wakeAll();
      },
      onEnd: (reason) => {
        throw new Error(`leaderboard.live: ${reason}`);
      },
      onControl: (event) => {
        this.controls.push(event);
        this.wakeAll();
      },
    });
    try {
      for await (const chunk of body) feed(chunk);
      throw new Error("the live stream closed");
    } catch (error) {
      this.failure = this.abort.signal.aborted ? new Error("the live stream was closed") : (error as Error);
      this.wakeAll();
    }
  }

  private wakeAll() {
    for (const wake of this.waiters) wake();
  }

  /** Resolves once `ready()` returns a value (checked now and after every event), or throws at the deadline or on failure. */
  private async waitFor<T>(ready: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const value = ready();
      if (value !== undefined) return value;
      if (this.failure) throw this.failure;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  /** The first snapshot, from the start of the stream, that `accept` takes; waits up to `timeoutMs` for it. */
  async until<T>(accept: (board: Board, id: string | undefined) => T | undefined, timeoutMs: number) {
    let seen = 0;
    return this.waitFor(
      () => {
        for (; seen < this.snapshots.length; seen += 1) {
          const { board, id, at } = this.snapshots[seen]!;
          const value = accept(board, id);
          if (value !== undefined) return { value, at };
        }
        return undefined;
      },
      timeoutMs,
      "no matching live update",
    );
  }

  /** Waits until the stream has sent the named bookkeeping event `count` times in all. */
  async untilControl(event: string, count: number, timeoutMs: number) {
    await this.waitFor(() => (this.controls.filter((name) => name === event).length >= count ? true : undefined), timeoutMs, `${count} × ${event}`);
  }

  /** Resolves once the stream has ended (by the server or a lost connection), with why. */
  async ended(timeoutMs: number) {
    return this.waitFor(() => this.failure ?? undefined, timeoutMs, "the stream to end");
  }

  close() {
    this.abort.abort();
  }
}
