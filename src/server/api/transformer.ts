/**
 * The server's superjson, with inputs held to what the app's procedures take: plain JSON. No
 * procedure takes a BigInt, Date, Map, Set or any other type superjson can revive, and reviving
 * them costs the server work the client chooses (a BigInt of ten million digits blocks the event
 * loop for seconds), so an input whose metadata asks for any of that is refused (400
 * INVALID_INPUT) before superjson looks at it. The one annotation let through is `undefined`:
 * the client writes it for every omitted input and every field set to undefined, and reviving it
 * costs nothing. Outputs are superjson's, unchanged.
 */
import superjson from "superjson";

import { AppError } from "./errors";

export function deserializeInput(payload: unknown): unknown {
  if (isRecord(payload) && payload.meta !== undefined && !onlyUndefinedValues(payload.meta)) {
    throw new AppError("INVALID_INPUT", "Inputs are plain JSON: superjson metadata is not accepted.");
  }
  return superjson.deserialize(payload as Parameters<typeof superjson.deserialize>[0]);
}

export const transformer = {
  input: { serialize: superjson.serialize, deserialize: deserializeInput },
  output: superjson,
};

/**
 * superjson's metadata for a value whose only non-JSON parts are `undefined`: `values` is
 * `["undefined"]` for the value itself, or maps paths to `["undefined"]`; `v` is its format version.
 */
function onlyUndefinedValues(meta: unknown): boolean {
  if (!isRecord(meta) || Object.keys(meta).some((key) => key !== "values" && key !== "v")) return false;
  if (meta.v !== undefined && typeof meta.v !== "number") return false;
  const { values } = meta;
  if (values === undefined || isUndefinedAnnotation(values)) return true;
  return isRecord(values) && Object.values(values).every(isUndefinedAnnotation);
}

function isUndefinedAnnotation(annotation: unknown) {
  return Array.isArray(annotation) && annotation.length === 1 && annotation[0] === "undefined";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
