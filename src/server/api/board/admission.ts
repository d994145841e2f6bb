/**
 * Who may open a live stream: at most LIVE_STREAMS_PER_IP per client IP, counted across
 * instances (~/server/redis/stream-slots); above it, 429 RATE_LIMITED with `retryAfterMs`.
 */
import { clientIp } from "~/server/client-ip";
import type { StreamSlot, StreamSlots } from "~/server/redis/stream-slots";
import { AppError } from "../errors";

/** A slot for a new stream of the client these headers name; throws RATE_LIMITED over the client's limit. */
export async function admitLiveStream(slots: StreamSlots, headers: Pick<Headers, "get">): Promise<StreamSlot> {
  const claim = await slots.claim(clientIp(headers));
  if (!claim.allowed) throw new AppError("RATE_LIMITED", "Too many live streams from your address: close one, or wait.", { retryAfterMs: claim.retryAfterMs });
  return claim.slot;
}
