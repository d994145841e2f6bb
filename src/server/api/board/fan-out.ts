/**
 * One window's live streams on this instance. Streams are grouped by what they see (their top
 * `limit`); when the board changes, each group's frame is encoded once and the same bytes are
 * written to every stream of the group. Per stream there is no serialisation, timer or promise
 * per event: a write, or — when the client has not taken the previous frame yet — a flag, so a
 * slow client gets the newest frame when it catches up and never a backlog.
 *
 * A stream is anything that takes bytes (a `StreamSink`): a web ReadableStream for the route
 * handler (`openWebStream`), or a Node response written directly (./node-streams.ts).
 */
import type { Board } from "~/server/board/types";
import { boardEventId } from "~/lib/board-windows";
import { sliceBoard, viewContent, type LiveBoard } from "~/server/scoring/live-board";
import { connectedFrame, PING_FRAME, trackedFrame, type ClientOptions } from "./sse-frames";

/** Where a stream's bytes go. */
export type StreamSink = {
  /** Takes a frame unless the client is still busy with earlier ones; false: it was not taken. */
  write(frame: Uint8Array): boolean;
  /** Ends the stream cleanly (its lifetime is over: the client resumes). */
  end(): void;
  /** Drops the connection (shutdown: the client reconnects elsewhere). */
  abort(reason: unknown): void;
};

/** What a sink's owner tells the fan-out. */
export type AttachedStream = {
  /** The client took what it was sent: give it the newest frame if it missed one. */
  drained(): void;
  /** The client went away. */
  detach(): void;
};

type Stream = {
  sink: StreamSink;
  group: Group;
  /** A board frame was not taken: send the group's newest when the client drains. */
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

  function sendBoard(stream: Stream) {
    stream.behind = !stream.sink.write(stream.group.frame!);
  }

  /** Brings a group's frame up to `board`; false when the board does not change this view. */
  function updateGroup(group: Group, board: Board) {
    const view = sliceBoard(board, group.limit);
    const content = viewContent(view);
    if (content === group.content) return false;
    group.content = content;
    group.frameId = boardEventId(board);
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

  /** Sends a new board to every stream whose view it changes. */
  function publish(board: Board) {
    // The live board hands boards out in order; a start-up read may resolve after a newer one.
    if (latest && board.period === latest.period && board.version < latest.version) return;
    latest = board;
    for (const group of groups.values()) {
      if (!updateGroup(group, board)) continue;
      for (const stream of group.streams) sendBoard(stream);
    }
  }

  function ping() {
    // A client still busy with a board frame needs no ping; one that is busy with a ping misses this one.
    for (const group of groups.values()) for (const stream of group.streams) if (!stream.behind) stream.sink.write(PING_FRAME);
  }

  function remove(stream: Stream) {
    if (!stream.group.streams.delete(stream)) return false;
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
    return true;
  }

  return {
    /**
     * A new stream of the top `limit`: the `connected` event, then the current view at once
     * unless `lastEventId` says the client has it, then every change of the view.
     */
    attach(limit: number, lastEventId: string | null, sink: StreamSink): AttachedStream {
      const group = groupFor(limit);
      const stream: Stream = { sink, group, behind: false, lifetime: setTimeout(() => remove(stream) && sink.end(), options.maxDurationMs) };
      stream.lifetime.unref();
      group.streams.add(stream);
      count += 1;
      pinger ??= setInterval(ping, options.pingIntervalMs).unref();
      if (!listening) {
        listening = options.live.listen(publish);
        listening.board().then(publish, () => {
          // No board yet (Redis and Postgres both failed): streams get the next one that comes.
        });
      }
      const clientHasIt = lastEventId !== null && (lastEventId === group.frameId || (latest !== null && lastEventId === boardEventId(latest)));
      const tookConnected = sink.write(connected);
      // No board yet (the first stream of this instance): publish() sends it when it arrives.
      if (group.frame && !clientHasIt) {
        if (tookConnected) sendBoard(stream);
        else stream.behind = true;
      }
      return {
        drained() {
          if (!stream.behind || !group.streams.has(stream)) return;
          sendBoard(stream);
        },
        detach() {
          remove(stream);
        },
      };
    },

    /**
     * A stream for a route handler's Response: the same fan-out, as a web ReadableStream.
     * `onClose` runs once it is over, however it ends.
     */
    openWebStream(limit: number, lastEventId: string | null, onClose: () => void = () => {}): ReadableStream<Uint8Array> {
      let attached: AttachedStream | undefined;
      return new ReadableStream<Uint8Array>(
        {
          start: (controller) => {
            attached = this.attach(limit, lastEventId, {
              write(frame) {
                // One frame queued at most: a client that has not read it yet is behind.
                if ((controller.desiredSize ?? 0) <= 0) return false;
                controller.enqueue(frame);
                return true;
              },
              end: () => {
                controller.close();
                onClose();
              },
              abort: (reason) => {
                controller.error(reason);
                onClose();
              },
            });
          },
          pull: () => attached?.drained(),
          cancel: () => {
            attached?.detach();
            onClose();
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
          stream.sink.abort(reason);
        }
      }
    },

    /** Open streams on this instance. */
    get streamCount() {
      return count;
    },
  };
}
