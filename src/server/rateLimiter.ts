/** A token bucket: `rate` tokens per second, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly rate: number, private readonly burst: number, private readonly now: () => number = () => performance.now()) {
    this.tokens = burst;
    this.last = now();
  }

  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
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

/**
 * Per-connection limit: each message takes a token; without one it is refused with `rate_limited`. Each refusal
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

  check(): 'ok' | 'limited' | 'abuse' {
    if (this.messages.take()) return 'ok';
    return this.patience.take() ? 'limited' : 'abuse';
  }
}
