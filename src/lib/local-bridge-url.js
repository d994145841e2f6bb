/** Where the local Upstash bridge (scripts/upstash-bridge.ts) listens unless UPSTASH_REDIS_REST_URL says otherwise. */
export const LOCAL_REDIS_REST_URL = "http://127.0.0.1:8079";
