// Headers every page and API answer carries: next.config.js sets them on what Next.js answers,
// src/instrumentation.ts on what the app answers ahead of Next.js. One list, so the two agree.

/**
 * Next.js inlines its bootstrap scripts and styles, hence 'unsafe-inline' (nonces would make
 * every page dynamic); development adds what hot reload needs. Sign-in with GitHub leaves
 * through a form post that redirects to github.com, hence form-action.
 * @param {{ development: boolean }} options
 */
export function contentSecurityPolicy({ development }) {
  return [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${development ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${development ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self' https://github.com",
    "frame-ancestors 'none'",
  ].join("; ");
}

/**
 * @param {{ development: boolean }} options
 * @returns {{ key: string, value: string }[]}
 */
export function securityHeaders(options) {
  return [
    { key: "Content-Security-Policy", value: contentSecurityPolicy(options) },
    { key: "X-Content-Type-Options", value: "nosniff" },
    { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  ];
}

/** Only on https answers (browsers ignore it over http, and it must not pin a plain-http site). */
export const STRICT_TRANSPORT_SECURITY = { key: "Strict-Transport-Security", value: "max-age=63072000; includeSubDomains" };
