/**
 * Process shutdown, as a signal long-lived work can listen to. On SIGTERM the server stops
 * accepting connections and waits for open requests; live streams would hold it (and their
 * clients) for minutes, so they end at once and their clients reconnect to another instance.
 */
const SHUTDOWN = Symbol.for("live-scoreboard.shutdown");
const registry = globalThis as typeof globalThis & { [SHUTDOWN]?: AbortController };

function controller() {
  return (registry[SHUTDOWN] ??= new AbortController());
}

export function shutdownSignal(): AbortSignal {
  return controller().signal;
}

export function beginShutdown() {
  controller().abort(new DOMException("the server is shutting down", "AbortError"));
}
