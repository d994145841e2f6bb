/**
 * Load generators written for Node (the live subscribers, the bridge comparison) run in child
 * processes, so their CPU is measured apart from the orchestrator (which also hosts the Upstash
 * bridge) and neither starves the other. One request/response protocol over Node's IPC channel.
 */
import { fork, type ChildProcess } from "node:child_process";

type Envelope = { id: number; message: unknown };
type Reply = { id: number; result?: unknown; error?: string };

export type Worker = {
  request<T>(message: unknown): Promise<T>;
  /** Ends the child (it has no state worth keeping) and waits for it to exit. */
  stop(): Promise<void>;
  pid: number;
};

/** Forks a worker script; it inherits tsx's loader flags from this process's execArgv. */
export function startWorker(script: string): Worker {
  const child: ChildProcess = fork(script, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  child.on("message", (raw: Reply) => {
    const waiter = pending.get(raw.id);
    pending.delete(raw.id);
    if (raw.error !== undefined) waiter?.reject(new Error(raw.error));
    else waiter?.resolve(raw.result);
  });
  child.on("exit", (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`worker ${script} exited with ${code}`));
    pending.clear();
  });
  return {
    pid: child.pid!,
    request<T>(message: unknown) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, message } satisfies Envelope);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** The child's side: answers each request with `handle`'s result. */
export function serveRequests(handle: (message: never) => Promise<unknown>) {
  process.on("message", (envelope: Envelope) => {
    handle(envelope.message as never).then(
      (result) => process.send!({ id: envelope.id, result } satisfies Reply),
      (error: unknown) => process.send!({ id: envelope.id, error: String((error as Error).stack ?? error) } satisfies Reply),
    );
  });
  // The parent going away (Ctrl-C, a crash) ends this process too.
  process.on("disconnect", () => process.exit(0));
}
