/** Drizzle wraps driver errors; the Postgres SQLSTATE (or socket error code) sits somewhere on the cause chain. */
export function errorCodeOf(error: unknown): string | undefined {
  for (let current = error; current instanceof Object; current = (current as { cause?: unknown }).cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

export function isUniqueViolation(error: unknown) {
  return errorCodeOf(error) === "23505";
}

// Connection-level failures: the database is down or refusing us, not the query being wrong.
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  // Writing a query to a connection the server has just closed (a shutdown mid-request).
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "53300", // too_many_connections
]);

export function isDatabaseUnavailable(error: unknown): boolean {
  const code = errorCodeOf(error);
  // Class 08 is "connection exception".
  return code !== undefined && (UNAVAILABLE_CODES.has(code) || code.startsWith("08"));
}
