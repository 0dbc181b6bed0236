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
    // the spellings parseEta reads ahead, read behind too
    assert.equal(parseWhen('15 mins ago', now)?.toISOString(), '2026-11-22T14:15:00.000Z');
    assert.equal(parseWhen('15 minutes ago', now)?.toISOString(), '2026-11-22T14:15:00.000Z');
    assert.equal(parseWhen('1 minute ago', now)?.toISOString(), '2026-11-22T14:29:00.000Z');
    assert.equal(parseWhen('2 hours ago', now)?.toISOString(), '2026-11-22T12:30:00.000Z');
    assert.equal(parseWhen('1 hour ago', now)?.toISOString(), '2026-11-22T13:30:00.000Z');
    assert.equal(parseWhen('2hrs ago', now)?.toISOString(), '2026-11-22T12:30:00.000Z');
    assert.equal(parseWhen('1h 30m ago', now)?.toISOString(), '2026-11-22T13:00:00.000Z');
    assert.equal(parseWhen('ago', now), null);
    assert.equal(parseWhen('15 months ago', now), null);
    assert.equal(parseWhen('15 secs ago', now), null);
  });
  it('reads an ISO time with its zone, and refuses what it does not understand', () => {
    assert.equal(parseWhen('2026-11-22T14:02:00Z', now)?.toISOString(), '2026-11-22T14:02:00.000Z');
    assert.equal(parseWhen('2026-11-22T15:02:00+01:00', now)?.toISOString(), '2026-11-22T14:02:00.000Z');
    assert.equal(parseWhen('yesterday-ish', now), null);
    assert.equal(parseWhen('15 ago', now), null);
  });

  it('reads "now", "Nm ago" and ISO times as typed or pasted: extra spaces around or inside', () => {
    assert.equal(parseWhen('  2026-11-22T14:02:00Z\n', now)?.toISOString(), '2026-11-22T14:02:00.000Z');
    assert.equal(parseWhen('15m  ago', now)?.toISOString(), '2026-11-22T14:15:00.000Z');
  });

  it('never half-reads a time it does not understand', () => {
    // Read as 75 minutes ago or refused, never as the "15m ago" at its end.
    assert.equal(parseWhen('1h 15m ago', now)?.toISOString(), '2026-11-22T13:15:00.000Z');
    assert.equal(parseWhen('20m ago to 10m ago', now), null);
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

  it('reads an ETA in the words people type: spelled-out units, plurals, double spaces, many hours', () => {
    const eta = (v: string) => parseEta(v, now)?.toISOString();
    assert.equal(eta('  30m '), '2026-11-22T15:00:00.000Z');
    assert.equal(eta('in  2h'), '2026-11-22T16:30:00.000Z');
    assert.equal(eta('12h'), '2026-11-23T02:30:00.000Z');
    assert.equal(eta('2 hours'), '2026-11-22T16:30:00.000Z');
    assert.equal(eta('1 hour'), '2026-11-22T15:30:00.000Z');
    assert.equal(eta('1 hr'), '2026-11-22T15:30:00.000Z');
    assert.equal(eta('1 minute'), '2026-11-22T14:31:00.000Z');
    assert.equal(eta('45 mins'), '2026-11-22T15:15:00.000Z');
    assert.equal(eta('1 hr 30 mins'), '2026-11-22T16:00:00.000Z');
    assert.equal(eta(' 2026-11-22T18:00:00Z '), '2026-11-22T18:00:00.000Z', 'an ISO time pasted with spaces');
    assert.equal(parseEta('?', now), undefined, 'a question mark is no estimate');
    assert.equal(parseEta('   ', now), undefined);
  });

  it('refuses an ETA it would misread: a past time, units it does not know, a zone it cannot read, right now', () => {
    assert.equal(parseEta('30m ago', now), null);
    assert.equal(parseEta('2d 4h', now), null, 'days are not understood, so not read as 4h');
    assert.equal(parseEta('15:30 PST', now), null, 'not read as 15:30 here');
    assert.equal(parseEta('2026-11-22T14:30:00Z', now), null, 'now is not ahead');
  });

  it('a wall-clock ETA is always ahead: the current minute and earlier hours are tomorrow; one-digit hours and "at" read', () => {
    assert.equal(parseEta('14:30 utc', now)?.toISOString(), '2026-11-23T14:30:00.000Z');
    assert.equal(parseEta('9:45 UTC', now)?.toISOString(), '2026-11-23T09:45:00.000Z');
    const local = new Date(now);
    local.setHours(15, 30, 0, 0);
    if (local <= now) local.setTime(local.getTime() + 86_400_000);
    assert.equal(parseEta('at  15:30', now)?.toISOString(), local.toISOString());
  });

  describe('on a machine in a zone other than UTC (Asia/Kolkata, UTC+05:30)', () => {
    let saved: string | undefined;
    beforeEach(() => {
      saved = process.env['TZ'];
      process.env['TZ'] = 'Asia/Kolkata';
    });
    afterEach(() => {
      if (saved === undefined) delete process.env['TZ'];
      else process.env['TZ'] = saved;
    });

    it('reads a plain clock time in the machine\'s zone, and one marked UTC or Z in UTC', () => {
      // 14:30 UTC is 20:00 in Kolkata.
      assert.equal(parseEta('21:15', now)?.toISOString(), '2026-11-22T15:45:00.000Z');
      assert.equal(parseEta('16:00 UTC', now)?.toISOString(), '2026-11-22T16:00:00.000Z');
      assert.equal(parseEta('16:00z', now)?.toISOString(), '2026-11-22T16:00:00.000Z');
    });
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
