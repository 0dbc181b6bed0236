/** A token bucket: `rate` tokens per second, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly rate: number, private readonly burst: number, private readonly now: () => number = () => performance.now()) {
    this.tokens = burst;
    this.last = now();
  }

  /** Take `cost` tokens if there are that many (a cost above the burst needs a full bucket). */
  take(cost = 1): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
    const need = Math.min(cost, this.burst);
    if (this.tokens < need) return false;
    this.tokens -= need;
    return true;
  }
}

export interface RateLimitOptions {
  /** Messages per second a connection may send on average. */
  readonly messagesPerSecond: number;
  /** Messages it may send at once after being quiet. */
  readonly burst: number;
  /** Refused messages tolerated (refilling at a tenth of that per second) before the connection is closed 4429. */
  readonly patience: number;
}

/** Every this many bytes of a frame cost one more message: a flood of 256 KiB frames is limited like one of small ones. */
export const BYTES_PER_MESSAGE = 16 * 1024;

/**
 * Per-connection limit: each message takes a token (plus one per 16 KiB); without them it is refused with `rate_limited`. Each refusal
 * takes from a second bucket (patience): a client that keeps sending while refused empties it and is closed (4429),
 * while one that backs off after a few refusals never is.
 */
export class ConnectionRateLimit {
  private readonly messages: TokenBucket;
  private readonly patience: TokenBucket;

  constructor(options: RateLimitOptions, now?: () => number) {
    this.messages = new TokenBucket(options.messagesPerSecond, options.burst, now);
    this.patience = new TokenBucket(Math.max(1, options.patience / 10), options.patience, now);
  }

  check(bytes = 0): 'ok' | 'limited' | 'abuse' {
    if (this.messages.take(1 + Math.floor(bytes / BYTES_PER_MESSAGE))) return 'ok';
    return this.patience.take() ? 'limited' : 'abuse';
  }
}
