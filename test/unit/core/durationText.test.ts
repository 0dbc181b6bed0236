import assert from 'node:assert/strict';
import { countText, durationText, elapsedText } from '../../../src/core/durationText';

describe('core/durationText', () => {
  it('says minutes, then hours and minutes, then days and hours, never a bare 00:26', () => {
    assert.equal(durationText(0), '0m');
    assert.equal(durationText(26.9), '26m');
    assert.equal(durationText(59), '59m');
    assert.equal(durationText(60), '1h 00m');
    assert.equal(durationText(72), '1h 12m');
    assert.equal(durationText(47 * 60 + 59), '47h 59m');
    assert.equal(durationText(48 * 60), '2d 0h');
    assert.equal(durationText(51 * 60 + 30), '2d 3h');
    assert.equal(durationText(-5), '0m', 'a clock a little ahead never shows a negative span');
  });
  it('counts elapsed time in whole minutes', () => {
    const from = Date.parse('2026-12-02T10:00:00Z');
    assert.equal(elapsedText(from, from + 59_999), '0m');
    assert.equal(elapsedText(from, from + 72 * 60_000 + 30_000), '1h 12m');
  });
  it('counts without (s): 1 commit, 10 commits, 10+ commits', () => {
    assert.equal(countText(1, 'commit'), '1 commit');
    assert.equal(countText(0, 'file'), '0 files');
    assert.equal(countText(10, 'commit', { more: true }), '10+ commits');
    assert.equal(countText(2, 'entry', { plural: 'entries' }), '2 entries');
  });
});
