/**
 * Bounds on the work one request may ask for (PRODUCT.md, Invariants: bounded work per request),
 * shared by the server that enforces them and the browser client that must stay inside them.
 */

/** Calls in one tRPC batch: more is 400 INVALID_INPUT, so the browser's batching link sends at most this many. */
export const MAX_BATCH_CALLS = 10;

/** Request body bytes on the tRPC and next-auth routes: more is 413, refused before anything parses it. */
export const MAX_BODY_BYTES = 64 * 1024;
