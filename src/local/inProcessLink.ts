import { parseServerMessage } from '../protocol/messages';
import type { ChannelCore } from '../server/channel';
import { FrameIntake, type FrameIntakeLimits } from '../server/frameIntake';
import type { SessionAuth, SessionSink } from '../server/session';
import type { Link, LinkHandlers } from '../sync/transport';

/**
 * A link to a channel core in this process: no socket, no token. Each way it carries the same frames a WebSocket
 * would, through the same checks — the client's messages as JSON text through the server's `FrameIntake` and
 * session parser, the server's frames through the client's `parseServerMessage` — so the protocol has one
 * implementation whichever way a window reaches it. Like a socket it is asynchronous: what the session sends
 * reaches the handlers on a later turn, in order, the close after the frames before it (a reply never re-enters
 * the client inside its own `send`).
 */
export function openInProcessLink(core: ChannelCore, channel: string, handlers: LinkHandlers, auth: SessionAuth, limits: FrameIntakeLimits): Link {
  let closed = false;
  const queue: (() => void)[] = [];
  let queuedChars = 0;
  let scheduled = false;
  const drain = () => {
    scheduled = false;
    for (const deliver of queue.splice(0)) deliver();
  };
  const later = (deliver: () => void) => {
    queue.push(deliver);
    if (!scheduled) {
      scheduled = true;
      setImmediate(drain);
    }
  };
  const sink: SessionSink = {
    send: (frame) => {
      if (closed) return;
      queuedChars += frame.length;
      later(() => {
        queuedChars -= frame.length;
        if (closed) return;
        const parsed = parseServerMessage(frame);
        if (parsed.ok) handlers.onMessage(parsed.value);
        else handlers.onInvalid(parsed.error);
      });
    },
    close: (code, reason) => {
      if (closed) return;
      later(() => {
        if (closed) return;
        closed = true;
        handlers.onClose({ kind: 'closed', code, message: reason || `closed (${code})` });
      });
    },
    // Replay waits while the client has not taken what was sent, as it waits for a socket's buffer.
    bufferedAmount: () => queuedChars,
  };
  const session = core.connect(channel, sink, auth);
  const intake = new FrameIntake(session, limits);
  return {
    sameProcess: true,
    send: (message) => {
      if (closed || session.closed) return;
      intake.take(Buffer.from(JSON.stringify(message), 'utf8'), false);
    },
    close: (code = 1000, reason = '') => {
      if (closed) return;
      closed = true;
      session.disconnect();
      // As a socket reports its own close, late: the client has moved on by then and ignores it.
      setImmediate(() => handlers.onClose({ kind: 'closed', code, message: reason || `closed (${code})` }));
    },
  };
}
