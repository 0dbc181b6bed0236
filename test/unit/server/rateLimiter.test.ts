import assert from 'node:assert/strict';
import { BYTES_PER_MESSAGE, ConnectionRateLimit, TokenBucket } from '../../../src/server/rateLimiter';

describe('server/rateLimiter', () => {
  it('a token bucket allows the burst, then the rate', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 5, () => now);
    assert.deepEqual(Array.from({ length: 6 }, () => bucket.take()), [true, true, true, true, true, false]);
    now += 100; // 0.1 s at 10/s = one token
    assert.deepEqual([bucket.take(), bucket.take()], [true, false]);
    now += 10_000;
    assert.equal(Array.from({ length: 10 }, () => bucket.take()).filter(Boolean).length, 5, 'never more than the burst saved up');
  });

  it('limits a connection, charging big frames more, and calls persistent abuse abuse', () => {
    let now = 0;
    const limit = new ConnectionRateLimit({ messagesPerSecond: 10, burst: 10, patience: 5 }, () => now);
    assert.equal(limit.check(9 * BYTES_PER_MESSAGE), 'ok'); // costs 10
    assert.equal(limit.check(), 'limited');
    for (let i = 0; i < 4; i++) assert.equal(limit.check(), 'limited');
    assert.equal(limit.check(), 'abuse');
    now += 2000; // backing off refills both
    assert.equal(limit.check(), 'ok');
  });
});
