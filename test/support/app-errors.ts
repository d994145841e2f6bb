import { TRPCError } from "@trpc/server";
import { expect } from "vitest";

import { reasonOf, type Reason } from "~/server/api/errors";

/** Awaits a call that must fail with a tRPC error and returns that error. */
export async function caught(promise: Promise<unknown>): Promise<TRPCError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TRPCError);
    return error as TRPCError;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** Asserts the spec's reason and tRPC code of a failing call. */
export async function expectAppError(promise: Promise<unknown>, reason: Reason, code: TRPCError["code"]) {
  const error = await caught(promise);
  expect({ reason: reasonOf(error), code: error.code }).toEqual({ reason, code });
  return error;
}
