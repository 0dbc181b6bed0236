import { isUtf8 } from 'node:buffer';
import { CloseCode } from '../protocol/codes';
import { ConnectionRateLimit, type RateLimitOptions } from './rateLimiter';
import type { ChannelSession } from './session';

export interface FrameIntakeLimits extends RateLimitOptions {
  /** Largest frame accepted; above it the connection is closed with 1009. */
  readonly maxFrameBytes: number;
}

/**
 * What a transport does with one client frame before its session sees it: the frame size, the rate limit, binary
 * and bad UTF-8 refused with typed errors. The WebSocket server and the extension's in-process links both pass
 * every frame through here, so a frame is refused the same way however it arrived.
 */
export class FrameIntake {
  private readonly limiter: ConnectionRateLimit;

  /** `onAbuse` hears of a connection closed for abusing the rate limit (for the log), before it is closed. */
  constructor(private readonly session: ChannelSession, private readonly limits: FrameIntakeLimits, private readonly onAbuse: () => void = () => undefined) {
    this.limiter = new ConnectionRateLimit({ messagesPerSecond: limits.messagesPerSecond, burst: limits.burst, patience: limits.patience });
  }

  /** One frame as it came off the transport. Never throws. */
  take(data: Buffer, isBinary: boolean): void {
    // The WebSocket server's maxPayload closes such a socket before it gets here; an in-process link has no such guard.
    if (data.length > this.limits.maxFrameBytes) return this.session.close(CloseCode.TooBig, `frame over ${this.limits.maxFrameBytes} bytes`);
    const verdict = this.limiter.check(data.length);
    if (verdict === 'abuse') {
      this.onAbuse();
      return this.session.close(CloseCode.RateLimited, 'rate limit exceeded repeatedly');
    }
    if (verdict === 'limited') {
      return this.session.refuse('rate_limited', `rate limit: at most ${this.limits.messagesPerSecond} messages per second (burst ${this.limits.burst}); slow down`, isBinary ? undefined : data.toString('utf8'));
    }
    if (isBinary) return this.session.refuse('invalid_message', 'binary frames are not accepted: send JSON text frames');
    if (!isUtf8(data)) return this.session.refuse('invalid_message', 'frame is not valid UTF-8');
    this.session.receive(data.toString('utf8'));
  }
}
