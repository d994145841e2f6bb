import { PHASE_PRODUCTION_BUILD } from "next/constants.js";

import { securityHeaders, STRICT_TRANSPORT_SECURITY } from "./src/lib/security-headers.js";

/**
 * Importing the env module validates configuration up front, so a bad deploy fails at
 * build or start with a message naming the variable, not at the first request.
 * @param {string} phase
 * @returns {Promise<import("next").NextConfig>}
 */
export default async function nextConfig(phase) {
  if (phase === PHASE_PRODUCTION_BUILD) process.env.NEXT_PHASE ??= phase;
  const { env } = await import("./src/env.js");
  return {
    reactStrictMode: true,
    poweredByHeader: false,
    async headers() {
      return [
        { source: "/:path*", headers: securityHeaders({ development: env.NODE_ENV === "development" }) },
        // The proxy in front (Vercel's edge) says whether the client spoke https.
        { source: "/:path*", has: [{ type: "header", key: "x-forwarded-proto", value: "https" }], headers: [STRICT_TRANSPORT_SECURITY] },
      ];
    },
  };
}
