import { Writable } from "node:stream";

import { createLogger } from "../../src/server/observability/logger";

/** The app's logger (redaction and all), writing its JSON lines into `lines` instead of stdout. */
export function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, text: () => JSON.stringify(lines), logger: createLogger({ level: "info", destination }) };
}
