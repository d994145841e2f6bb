/**
 * The live board's streams on this instance. Subscribers are grouped by what they see (their
 * top `limit`); when the board changes, each group's frame is encoded once and the same bytes
 * are written to every stream of the group. Per stream there is no serialisation, timer or
 * promise per event: an enqueue, or — when the client has not read the previous frame yet — a
 * flag, so a slow client gets the newest frame when it catches up and never a backlog.
 */
import type { Board } from "~/server/scoring/board";
import { sliceBoard, type LiveBoard } from "~/server/scoring/live";
import { connectedFrame, PING_FRAME, trackedFrame, type ClientOptions } from "./sse-frames";

type Stream = {
  controller: ReadableStreamDefaultController<Uint8Array>;
  group: Group;
  /** A frame arrived while the client still had one unread: send the group's newest on its next read. */
  behind: boolean;
  lifetime: NodeJS.Timeout;
};

/** The streams that see the same view of the board, and the newest frame of that view. */
type Group = {
  limit: number;
  streams: Set<Stream>;
  /** The view's entries as text, to tell whether a new board changes this view. */
  content: string | null;
  frame: Uint8Array | null;
  frameId: string | null;
};

export type FanOutOptions = {
  /** Where boards come from: listened to while this instance has streams. */
  live: Pick<LiveBoard, "listen">;
  client: ClientOptions;
  /** How long a stream lasts; the client then resumes from its last event id. */
  maxDurationMs: number;
  /** How often every stream gets a ping. */
  pingIntervalMs: number;
};

export type LiveFanOut = ReturnType<typeof createLiveFanOut>;

export function createLiveFanOut(options: FanOutOptions) {
  const groups = new Map<number, Group>();
  const connected = connectedFrame(options.client);
  let latest: Board | null = null;
  let count = 0;
  let pinger: NodeJS.Timeout | null = null;
  let listening: ReturnType<LiveBoard["listen"]> | null = null;

  /** desiredSize ≤ 0: the previous frame is still queued (a slow client, or a full socket). */
  const canTake = (stream: Stream) => (stream.controller.desiredSize ?? 0) > 0;

  function sendBoard(stream: Stream) {
    if (canTake(stream)) stream.controller.enqueue(stream.group.frame!);
    else stream.behind = true;
  }

  /** Brings a group's frame up to `board`; false when the board does not change this view. */
  function updateGroup(group: Group, board: Board) {
    const view = sliceBoard(board, group.limit);
    const content = JSON.stringify(view.entries);
    if (content === group.content) return false;
    group.content = content;
    group.frameId = String(board.version);
    group.frame = trackedFrame(group.frameId, view);
    return true;
  }

  function groupFor(limit: number) {
    let group = groups.get(limit);
    if (!group) {
      group = { limit, streams: new Set(), content: null, frame: null, frameId: null };
      if (latest) updateGroup(group, latest);
      groups.set(limit, group);
    }
    return group;
  }

  function remove(stream: Stream) {
    if (!stream.group.streams.delete(stream)) return;
    clearTimeout(stream.lifetime);
    count -= 1;
    if (stream.group.streams.size === 0) groups.delete(stream.group.limit);
    if (count === 0) {
      if (pinger) clearInterval(pinger);
      pinger = null;
      listening?.stop();
      listening = null;
      latest = null;
    }
  }

  function close(stream: Stream) {
    remove(stream);
    try {
      stream.controller.close();
    } catch {
      // already closed or errored
    }
  }

  /** Sends a new board to every stream whose view it changes. */
  function publish(board: Board) {
    // The live board hands boards out in order; a start-up read may resolve after a newer one.
    if (latest && board.version < latest.version) return;
    latest = board;
    for (const group of groups.values()) {
      if (!updateGroup(group, board)) continue;
      for (const stream of group.streams) sendBoard(stream);
    }
  }

  /** The first stream starts listening to the live board and asks it for the board to start from. */
  function listen() {
    if (listening) return;
    listening = options.live.listen(publish);
    listening.board().then(publish, () => {
      // No board yet (Redis and Postgres both failed): streams get the next one that comes.
    });
  }

  return {

    /**
     * A new stream of the top `limit`: the `connected` event, then the current view at once
     * unless `lastEventId` says the client has it, then every change of the view.
     */
    open(limit: number, lastEventId: string | null): ReadableStream<Uint8Array> {
      const group = groupFor(limit);
      let stream: Stream | undefined;
      return new ReadableStream<Uint8Array>(
        {
          start(controller) {
            stream = {
              controller,
              group,
              behind: false,
              lifetime: setTimeout(() => close(stream!), options.maxDurationMs),
            };
            stream.lifetime.unref();
            group.streams.add(stream);
            count += 1;
            pinger ??= setInterval(() => {
              // A client with a frame still unread needs no ping.
              for (const each of groups.values()) for (const open of each.streams) if (canTake(open)) open.controller.enqueue(PING_FRAME);
            }, options.pingIntervalMs).unref();
            controller.enqueue(connected);
            listen();
            const clientHasIt = lastEventId !== null && (lastEventId === group.frameId || (latest !== null && lastEventId === String(latest.version)));
            // No board yet (the first stream of this instance): publish() sends it when it arrives.
            if (group.frame && !clientHasIt) stream.behind = true;
          },
          pull(controller) {
            if (!stream?.behind || !stream.group.frame) return;
            stream.behind = false;
            controller.enqueue(stream.group.frame);
          },
          cancel() {
            if (stream) remove(stream);
          },
        },
        { highWaterMark: 1 },
      );
    },

    /** Ends every stream abruptly (shutdown): clients reconnect elsewhere and resume. */
    abortAll(reason: unknown) {
      for (const group of [...groups.values()]) {
        for (const stream of [...group.streams]) {
          remove(stream);
          try {
            stream.controller.error(reason);
          } catch {
            // already closed
          }
        }
      }
    },

    /** Open streams on this instance. */
    get streamCount() {
      return count;
    },
  };
}
