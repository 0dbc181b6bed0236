import assert from 'node:assert/strict';
import { parseWhen } from '../../../src/core/parseWhen';

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
});
