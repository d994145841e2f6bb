/**
 * Deliberately empty. Without an instrumentation hook of its own, Turbopack gives this app the
 * product's (src/instrumentation.ts, found up the directory tree), whose per-request header
 * rewrite and env checks are the product's cost, not the framework's.
 */
export function register() {}
