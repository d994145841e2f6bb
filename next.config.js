import { PHASE_PRODUCTION_BUILD } from "next/constants.js";

/**
 * Importing the env module validates configuration up front, so a bad deploy fails at
 * build or start with a message naming the variable, not at the first request.
 * @param {string} phase
 * @returns {Promise<import("next").NextConfig>}
 */
export default async function nextConfig(phase) {
  if (phase === PHASE_PRODUCTION_BUILD) process.env.NEXT_PHASE ??= phase;
  await import("./src/env.js");
  return {
    reactStrictMode: true,
    poweredByHeader: false,
  };
}
