/** Reconnect delays: capped exponential with jitter (1 s, ×2, max 30 s), as the Hocuspocus provider does. */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly factor: number;
  readonly maxMs: number;
  /** Fraction of each delay that is randomised (0 = none, 1 = full jitter). */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, factor: 2, maxMs: 30_000, jitter: 0.5 };

export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions = DEFAULT_BACKOFF, private readonly random: () => number = Math.random) {}

  /** The delay before the next attempt; each call moves one step up the curve. */
  next(): number {
    const { initialMs, factor, maxMs, jitter } = this.options;
    const base = Math.min(maxMs, initialMs * factor ** this.attempt);
    this.attempt++;
    // Jitter spreads reconnecting clients so a restarted server is not hit by all of them at once.
    return Math.round(base * (1 - jitter) + base * jitter * this.random());
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
