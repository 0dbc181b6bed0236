import assert from 'node:assert/strict';
import { Backoff } from '../../../src/sync/backoff';

describe('Backoff', () => {
  it('doubles from 1 s up to a 30 s cap', () => {
    const b = new Backoff({ initialMs: 1000, factor: 2, maxMs: 30_000, jitter: 0 });
    assert.deepEqual(Array.from({ length: 7 }, () => b.next()), [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('spreads delays with jitter but never above the step or below its fixed part', () => {
    const values = [0, 0.5, 0.999];
    for (const r of values) {
      const b = new Backoff({ initialMs: 1000, factor: 2, maxMs: 30_000, jitter: 0.5 }, () => r);
      const d = b.next();
      assert.ok(d >= 500 && d <= 1000, `delay ${d} for random ${r}`);
    }
  });

  it('the random part really spreads the delay: clients that lost the same server do not all come back at once', () => {
    const at = (r: number) => new Backoff({ initialMs: 1000, factor: 2, maxMs: 30_000, jitter: 0.5 }, () => r).next();
    assert.deepEqual([at(0), at(0.5), at(1)], [500, 750, 1000], 'the delay follows the random draw across the whole jittered half');
    // The defaults the client reconnects with spread too, at every step up to the cap.
    const low = new Backoff(undefined, () => 0);
    const high = new Backoff(undefined, () => 1);
    for (let i = 0; i < 8; i++) {
      const [l, h] = [low.next(), high.next()];
      assert.ok(h - l >= h / 4, `step ${i}: ${l}..${h} ms is no spread`);
    }
    // and with Math.random, a hundred reconnecting clients pick many different delays
    const first = new Set(Array.from({ length: 100 }, () => new Backoff().next()));
    assert.ok(first.size > 50, `${first.size} distinct first delays among 100 clients`);
  });

  it('starts over after a reset (a successful connection)', () => {
    const b = new Backoff({ initialMs: 100, factor: 2, maxMs: 1000, jitter: 0 });
    b.next();
    b.next();
    b.reset();
    assert.equal(b.next(), 100);
  });
});
