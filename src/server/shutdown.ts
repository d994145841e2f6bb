/**
 * Process shutdown, as a signal long-lived work can listen to. On SIGTERM the server stops
 * accepting connections and waits for open requests; live streams would hold it (and their
 * clients) for minutes, so they end at once and their clients reconnect to another instance.
 */
import { processWide } from "./process-wide";

const controller = () => processWide("shutdown", () => new AbortController());

export function shutdownSignal(): AbortSignal {
  return controller().signal;
}

export function beginShutdown() {
  controller().abort(new DOMException("the server is shutting down", "AbortError"));
}
