import assert from 'node:assert/strict';
import { actionLensTitle, actionLensTooltip, dueText, escapeCodicons } from '../../../src/core/actionLensText';

const item = JSON.parse(JSON.stringify({
  title: 'add a circuit breaker', owner: { id: 'dana@example.com', name: 'Dana' }, due: '2027-03-03',
  createdBy: { id: 'sam@example.com', name: 'Sam' },
  source: { path: 'src/pool.ts', startLine: 40, endLine: 42, commit: '0123456789abcdef0123456789abcdef01234567' },
})) as Parameters<typeof actionLensTooltip>[1];

describe('core/actionLensText', () => {
  it('reads like the follow-up it is', () => {
    assert.equal(actionLensTitle('INC-12', item, { confidence: 'snippet' }, '2027-02-20'), 'Follow-up INC-12: add a circuit breaker · owner Dana · due Mar 3');
    assert.equal(actionLensTitle('INC-12', { title: 'x' }, { confidence: 'tracked' }, '2027-02-20'), 'Follow-up INC-12: x');
  });

  it('says overdue past the date, the year when it is not this one, and moved? when the code was not found', () => {
    assert.match(actionLensTitle('INC-12', item, { confidence: 'snippet' }, '2027-03-04'), /overdue since Mar 3$/);
    assert.equal(dueText('2028-01-09', '2027-12-30'), 'Jan 9, 2028');
    assert.match(actionLensTitle('INC-12', item, { confidence: 'moved' }, '2027-02-20'), / · \(moved\? anchored at line 40\)$/);
    assert.doesNotMatch(actionLensTitle('INC-12', item, { confidence: 'unchanged' }, '2027-02-20'), /moved/);
  });

  it('never lets user text render as an icon, break the line or run on', () => {
    const hostile = { title: 'fix $(alert) now\nand $(zap)', owner: { id: 'x', name: '$(person) Eve' } };
    const title = actionLensTitle('INC-1', hostile, { confidence: 'snippet' }, '2027-01-01');
    assert.equal(title, 'Follow-up INC-1: fix \\$(alert) now and \\$(zap) · owner \\$(person) Eve');
    assert.doesNotMatch(title.replace(/\\\$\(/g, ''), /\$\(/, 'every $( is escaped');
    assert.equal(escapeCodicons('$(a)$(b)'), '\\$(a)\\$(b)');
    const long = actionLensTitle('INC-1', { title: 'w'.repeat(300) }, { confidence: 'snippet' }, '2027-01-01');
    assert.ok(long.length < 150 && long.endsWith('…'));
  });

  it('the tooltip names where it was anchored and how sure the place is', () => {
    const tip = actionLensTooltip('INC-12', item, { confidence: 'moved' });
    assert.match(tip, /Anchored to src\/pool\.ts:40-42 at 0123456/);
    assert.match(tip, /no longer found/);
    assert.match(tip, /Owner: Dana \(dana@example\.com\)/);
  });

  it('due today is due, not overdue', () => {
    assert.equal(actionLensTitle('INC-12', item, { confidence: 'snippet' }, '2027-03-03'), 'Follow-up INC-12: add a circuit breaker · owner Dana · due Mar 3');
  });

  it('a title is one line with single spaces and no blank ends, cut at 120 characters', () => {
    const title = (t: string) => actionLensTitle('INC-1', { title: t }, { confidence: 'snippet' }, '2027-01-01');
    assert.equal(title('  add a   circuit\tbreaker \n'), 'Follow-up INC-1: add a circuit breaker');
    const exact = `a${'b'.repeat(118)}c`;
    assert.equal(title(exact), `Follow-up INC-1: ${exact}`);
    assert.equal(title(`${exact}d`), `Follow-up INC-1: a${'b'.repeat(118)}…`);
  });

  it('the tooltip, line by line: what, who owns it, when due, who added it, where and how sure, what a click does', () => {
    assert.equal(actionLensTooltip('INC-12', item, { confidence: 'snippet' }), [
      'Action item of INC-12: add a circuit breaker',
      'Owner: Dana (dana@example.com)',
      'Due: 2027-03-03',
      'Added by Sam',
      'Anchored to src/pool.ts:40-42 at 0123456',
      'Found here by the code it was anchored to.',
      'Click to edit it; Done marks it done for everyone on the incident.',
    ].join('\n'));
    const bare = JSON.parse('{"title":"check the pool size","createdBy":{"id":"sam@example.com","name":"Sam"}}') as typeof item;
    assert.equal(actionLensTooltip('INC-12', bare, { confidence: 'tracked' }), [
      'Action item of INC-12: check the pool size',
      'Owner: nobody yet',
      'Added by Sam',
      'Click to edit it; Done marks it done for everyone on the incident.',
    ].join('\n'));
    const oneLine = JSON.parse('{"title":"x","createdBy":{"id":"sam@example.com","name":"Sam"},"source":{"path":"src/pool.ts","startLine":40,"endLine":40}}') as typeof item;
    assert.match(actionLensTooltip('INC-12', oneLine, { confidence: 'tracked' }), /\nAnchored to src\/pool\.ts:40\nFollowed here through the edits made while the file was open\.\n/);
  });
});
