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

  it('starts over after a reset (a successful connection)', () => {
    const b = new Backoff({ initialMs: 100, factor: 2, maxMs: 1000, jitter: 0 });
    b.next();
    b.next();
    b.reset();
    assert.equal(b.next(), 100);
  });
});
