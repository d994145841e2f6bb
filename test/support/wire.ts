/**
 * The app's wire format, written once for every test, benchmark and script that talks to it over
 * HTTP: one tRPC call per request, superjson envelopes both ways, as `@trpc/client`'s httpLink
 * sends them (and, for the benchmark's load, as the browser's batching link sends one call:
 * `browserCall`). Types come from the router itself, so a procedure whose input or output
 * changes breaks the callers at compile time.
 */
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import superjson, { type SuperJSONResult } from "superjson";

import type { AppRouter } from "~/server/api/root";

type Inputs = inferRouterInputs<AppRouter>;
type Outputs = inferRouterOutputs<AppRouter>;

/** "router.procedure" for every procedure of the app. */
export type ProcedurePath = {
  [R in keyof Outputs & string]: { [P in keyof Outputs[R] & string]: `${R}.${P}` }[keyof Outputs[R] & string];
}[keyof Outputs & string];

type At<T, Path> = Path extends `${infer R}.${infer P}` ? (R extends keyof T ? (P extends keyof T[R] ? T[R][P] : never) : never) : never;
export type InputOf<Path extends ProcedurePath> = At<Inputs, Path>;
export type OutputOf<Path extends ProcedurePath> = At<Outputs, Path>;

/** One board as `leaderboard.top` answers it and every `leaderboard.live` event carries it. */
export type Board = OutputOf<"leaderboard.top">;
export type BoardEntry = Board["entries"][number];

/** What the error formatter (src/server/api/trpc.ts) puts in an error's `data`. */
export type TrpcErrorData = {
  code: string;
  httpStatus: number;
  reason: string;
  fieldErrors?: Record<string, string[]>;
  retryAfterMs?: number;
};

export type TrpcError = { message: string; code: number; data: TrpcErrorData };

/** A call's answer: the procedure's result, or the tRPC error with the spec's reason. */
export type Reply<T> = { status: number; ok: true; data: T } | { status: number; ok: false; error: TrpcError };

/** The text of an input as the client sends it (a query's `input` parameter, a mutation's body). */
export function encodeInput(input: unknown): string {
  return JSON.stringify(superjson.serialize(input));
}

/** The path and query of a query call. */
export function queryPath(path: string, input?: unknown) {
  return `/api/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(encodeInput(input))}`}`;
}

/**
 * One call in the browser's form: its client (src/trpc/react.tsx, httpBatchLink) sends each call
 * as a batch of one, `?batch=1` with the input keyed by position. The path and query, and for a
 * mutation the body; the answer is a one-element array.
 */
export function browserCall<P extends ProcedurePath>(path: P, input: InputOf<P>) {
  const batchInput = JSON.stringify({ 0: superjson.serialize(input) });
  return { queryPath: `/api/trpc/${path}?batch=1&input=${encodeURIComponent(batchInput)}`, mutationPath: `/api/trpc/${path}?batch=1`, body: batchInput };
}

/** An HTTP answer that is not tRPC's (an HTML error page, a proxy's refusal), with its status. */
export class NotTrpcAnswer extends Error {
  constructor(
    readonly status: number,
    text: string,
  ) {
    super(`HTTP ${status} is not a tRPC answer: ${text.slice(0, 200)}`);
  }
}

/**
 * Decodes an answer's body. Throws NotTrpcAnswer when it is not a tRPC answer at all (an HTML
 * error page, a proxy's refusal): callers that expect one must see that as a failure, not as a
 * tRPC error.
 */
export function decodeReply<T>(status: number, text: string): Reply<T> {
  let body: { result?: { data: SuperJSONResult }; error?: SuperJSONResult };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new NotTrpcAnswer(status, text);
  }
  if (body.error) return { status, ok: false, error: superjson.deserialize<TrpcError>(body.error) };
  if (body.result) return { status, ok: true, data: superjson.deserialize<T>(body.result.data) };
  throw new NotTrpcAnswer(status, text);
}

/** A live event's `data` field: a board in a superjson envelope. */
export function decodeBoard(data: string): Board {
  return superjson.deserialize<Board>(JSON.parse(data) as SuperJSONResult);
}
