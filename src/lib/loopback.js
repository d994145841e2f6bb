/**
 * True for a URL whose host is this machine. Local services get development defaults
 * (a bridge token, a generated secret); anything else must be configured explicitly.
 * @param {string} value
 */
export function isLoopbackUrl(value) {
  try {
    const { hostname } = new URL(value);
    return ["127.0.0.1", "localhost", "::1", "[::1]"].includes(hostname);
  } catch {
    return false;
  }
}
