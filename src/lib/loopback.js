/**
 * True for a URL whose host is this machine's loopback interface (localhost, 127.0.0.0/8, ::1).
 * Local services get development defaults (a bridge token, a generated secret); anything else
 * must be configured explicitly.
 * @param {string} value
 */
export function isLoopbackUrl(value) {
  const hostname = hostnameOf(value);
  if (hostname === null) return false;
  return (
    hostname === "localhost" ||
    hostname.endsWith(".localhost") ||
    hostname === "::1" ||
    /^127(\.\d{1,3}){3}$/.test(hostname) ||
    /^::ffff:127(\.\d{1,3}){3}$/.test(hostname) ||
    /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(hostname)
  );
}

/**
 * True for a URL that can only mean "this machine": loopback, or the unspecified address
 * (0.0.0.0, ::), which clients treat as local. A deployment must never be configured so.
 * @param {string} value
 */
export function isLocalOnlyUrl(value) {
  const hostname = hostnameOf(value);
  return isLoopbackUrl(value) || hostname === "0.0.0.0" || hostname === "::";
}

/** @param {string} value */
function hostnameOf(value) {
  try {
    return new URL(value).hostname.replace(/^\[|\]$/g, "").toLowerCase();
  } catch {
    return null;
  }
}
