/** Drizzle wraps driver errors; the Postgres SQLSTATE (or socket error code) sits somewhere on the cause chain. */
export function errorCodeOf(error: unknown): string | undefined {
  return codedErrorOf(error)?.code;
}

/** The first error on the cause chain with a code, and the server routine that raised it (Postgres's errors name one). */
function codedErrorOf(error: unknown): { code: string; routine?: unknown } | undefined {
  for (let current = error; current instanceof Object; current = (current as { cause?: unknown }).cause) {
    const coded = current as { code?: unknown; routine?: unknown };
    if (typeof coded.code === "string") return { code: coded.code, routine: coded.routine };
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
  const coded = codedErrorOf(error);
  if (!coded) return false;
  // The database refusing connections for now (ALTER DATABASE … ALLOW_CONNECTIONS false, as
  // platforms do during maintenance): SQLSTATE 55000 from the connection's start. 55000 from a
  // query is something else.
  if (coded.code === "55000") return coded.routine === "CheckMyDatabase";
  // Class 08 is "connection exception".
  return UNAVAILABLE_CODES.has(coded.code) || coded.code.startsWith("08");
}
