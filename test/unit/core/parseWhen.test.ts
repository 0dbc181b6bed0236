import assert from 'node:assert/strict';
import { parseEta, parseWhen } from '../../../src/core/parseWhen';

describe('core/parseWhen', () => {
  const now = new Date('2026-11-22T14:30:00.000Z');
  it('reads now (or nothing), minutes and hours ago, in the ways people type them', () => {
    assert.equal(parseWhen('now', now), now);
    assert.equal(parseWhen('  ', now), now);
    assert.equal(parseWhen('15m ago', now)?.toISOString(), '2026-11-22T14:15:00.000Z');
    assert.equal(parseWhen('15 min ago', now)?.toISOString(), '2026-11-22T14:15:00.000Z');
    assert.equal(parseWhen('2h ago', now)?.toISOString(), '2026-11-22T12:30:00.000Z');
    assert.equal(parseWhen('1 HR AGO', now)?.toISOString(), '2026-11-22T13:30:00.000Z');
  });
  it('reads an ISO time with its zone, and refuses what it does not understand', () => {
    assert.equal(parseWhen('2026-11-22T14:02:00Z', now)?.toISOString(), '2026-11-22T14:02:00.000Z');
    assert.equal(parseWhen('2026-11-22T15:02:00+01:00', now)?.toISOString(), '2026-11-22T14:02:00.000Z');
    assert.equal(parseWhen('yesterday-ish', now), null);
    assert.equal(parseWhen('15 ago', now), null);
  });

  it('reads an ETA ahead: 30m, 2h, 1h 30m, in 45m or a future ISO time; empty is no estimate; the past is refused', () => {
    assert.equal(parseEta('30m', now)?.toISOString(), '2026-11-22T15:00:00.000Z');
    assert.equal(parseEta('2h', now)?.toISOString(), '2026-11-22T16:30:00.000Z');
    assert.equal(parseEta('1h 30m', now)?.toISOString(), '2026-11-22T16:00:00.000Z');
    assert.equal(parseEta('in 45 min', now)?.toISOString(), '2026-11-22T15:15:00.000Z');
    assert.equal(parseEta('2026-11-22T18:00:00Z', now)?.toISOString(), '2026-11-22T18:00:00.000Z');
    assert.equal(parseEta('', now), undefined);
    assert.equal(parseEta('unknown', now), undefined);
    assert.equal(parseEta('2026-11-22T12:00:00Z', now), null, 'an ETA in the past is a typo');
    assert.equal(parseEta('soon', now), null);
  });

  it('takes a wall-clock ETA: the next such time, in UTC when it says so, in this machine\'s zone otherwise', () => {
    assert.equal(parseEta('16:00 UTC', now)?.toISOString(), '2026-11-22T16:00:00.000Z');
    assert.equal(parseEta('14:00z', now)?.toISOString(), '2026-11-23T14:00:00.000Z', 'a time already past today is tomorrow');
    const local = new Date(now);
    local.setHours(15, 30, 0, 0);
    if (local <= now) local.setTime(local.getTime() + 86_400_000);
    assert.equal(parseEta('15:30', now)?.toISOString(), local.toISOString());
    assert.equal(parseEta('at 15:30', now)?.toISOString(), local.toISOString());
    assert.equal(parseEta('25:00', now), null);
    assert.equal(parseEta('15:3', now), null);
  });
});
