import * as assert from 'node:assert/strict';
import { actionChecklistMarkdown, followUpIssue } from '../../../src/core/followUp';
import { fold } from '../../../src/core/reducer';
import { ALICE, BOB, Script } from './eventBuilder';
import { scriptedIncident } from './scriptedIncident';

const resolvedIncident = () => {
  const { id, events } = scriptedIncident({ analysis: true });
  return fold(id, events);
};

describe('followUp', () => {
  it('the issue: the action as title; the incident, owner, due date, suspect deploy and what was established with permalinks', () => {
    const s = resolvedIncident();
    const action = s.actions[0]!;
    const { title, body } = followUpIssue(s, action);
    assert.equal(title, 'Check the image exists before rollback in deploy.sh');
    const lines = body.split('\n');
    assert.equal(lines[0], 'Follow-up of incident **INC-7: Checkout 5xx after deploy v2.14.0** (SEV2, resolved 2026-11-22 23:40 UTC).');
    assert.ok(lines.includes('- **Owner:** Bob Baker'));
    assert.ok(lines.includes('- **Due:** 2026-11-25'));
    assert.ok(lines.includes('- **Incident declared:** 2026-11-22 22:52 UTC'));
    assert.ok(lines.includes('- **Suspected deploy:** `v2.14.0` (abc1234)'));
    // Root cause first (with its code), then trigger, contributing, facts.
    const established = lines.slice(lines.indexOf('### What the responders established') + 2, -2);
    assert.deepEqual(established.map((l) => l.split(':')[0]), ['- Root cause', '- Root cause', '- Trigger', '- Contributing', '- Contributing', '- Fact', '- Fact']);
    assert.equal(established[0], '- Root cause: The v3 client sends the card token unwrapped \\| the EU gateway expects it wrapped — [src/checkout/client.ts:12-18](https://github.com/acme/shop/blob/abc1234def5678/src/checkout/client.ts#L12-L18)');
  });

  it('an unassigned action without a date says so; a permalink that is not http(s) is not linked', () => {
    const s = new Script('INC-9');
    s.declare({ title: 'Login *broken*' }, { at: 1 });
    s.add('note.added', { text: 'Cert expired', tag: 'root-cause', source: { path: 'ops/cert.yaml', startLine: 3, endLine: 4, remoteUrl: 'javascript:alert(1)' } }, { at: 2 });
    s.add('action.added', { title: 'Alert on cert expiry' }, { at: 3, by: BOB });
    const state = fold('INC-9', s.events);
    const { body } = followUpIssue(state, state.actions[0]!);
    assert.match(body, /^Follow-up of incident \*\*INC-9: Login \\\*broken\\\*\*\* \(SEV2, investigating\)\./);
    assert.match(body, /- \*\*Owner:\*\* _unassigned_\n- \*\*Due:\*\* _no date_/);
    assert.match(body, /- Root cause: Cert expired — ops\/cert\.yaml:3-4\n/);
    assert.doesNotMatch(body, /javascript:/);
  });

  it('the issue of an incident with nothing established yet: the header, the action and the closing line, nothing else', () => {
    const s = new Script('INC-12');
    s.declare({ title: 'Search latency', severity: 'SEV3' }, { at: 1 });
    s.add('action.added', { title: 'Add a cache', owner: BOB, due: '2026-12-01' }, { at: 2 });
    const state = fold('INC-12', s.events);
    assert.deepEqual(followUpIssue(state, state.actions[0]!), {
      title: 'Add a cache',
      body: [
        'Follow-up of incident **INC-12: Search latency** (SEV3, investigating).',
        '',
        '- **Action:** Add a cache',
        '- **Owner:** Bob Baker',
        '- **Due:** 2026-12-01',
        '- **Incident declared:** 2026-11-22 14:01 UTC',
        '',
        '_Opened from Incident Room; the postmortem has the full timeline._',
      ].join('\n'),
    });
  });

  it('the header says when the incident was last resolved, and its status once it was reopened', () => {
    const s = new Script('INC-12');
    s.declare({ title: 'Search latency', severity: 'SEV3' }, { at: 1 });
    s.add('action.added', { title: 'Add a cache' }, { at: 2 });
    s.add('status.changed', { status: 'resolved' }, { at: 20 });
    s.add('status.changed', { status: 'investigating', note: 'Latency is back' }, { at: 30 });
    const header = () => {
      const state = fold('INC-12', s.events);
      return followUpIssue(state, state.actions[0]!).body.split('\n')[0];
    };
    assert.equal(header(), 'Follow-up of incident **INC-12: Search latency** (SEV3, investigating).');
    s.add('status.changed', { status: 'resolved' }, { at: 50 });
    assert.equal(header(), 'Follow-up of incident **INC-12: Search latency** (SEV3, resolved 2026-11-22 14:50 UTC).');
  });

  it('lists every suspected deploy, notes on one line each, and code without a permalink as plain text', () => {
    const s = new Script('INC-12');
    s.declare({ title: 'Search latency' }, { at: 1 });
    s.add('deploy.flagged', { ref: 'v1.`2`', sha: 'abc1234def5678' }, { at: 2 });
    s.add('deploy.flagged', { ref: 'hotfix-7', sha: '0123456789ab' }, { at: 3 });
    s.add('note.added', { text: 'Pool exhausted\nafter the deploy', tag: 'root-cause' }, { at: 4, by: ALICE });
    s.add('note.added', { text: 'Index rebuilt at 14:02', tag: 'fact' }, { at: 5, by: BOB });
    s.add('action.added', { title: 'Add a cache' }, { at: 6 });
    const state = fold('INC-12', s.events);
    const lines = followUpIssue(state, state.actions[0]!).body.split('\n');
    assert.ok(lines.includes('- **Suspected deploy:** `v1.2` (abc1234), `hotfix-7` (0123456)'), lines.join('\n'));
    assert.deepEqual(lines.slice(lines.indexOf('### What the responders established') - 1), [
      '',
      '### What the responders established',
      '',
      '- Root cause: Pool exhausted after the deploy',
      '- Fact: Index rebuilt at 14:02',
      '',
      '_Opened from Incident Room; the postmortem has the full timeline._',
    ]);
  });

  it('links code on an http forge of the local network, keeps a path with parentheses one link, and never links a script', () => {
    const s = new Script('INC-12');
    s.declare({ title: 'Search latency' }, { at: 1 });
    const cite = (text: string, path: string, remoteUrl: string) =>
      s.add('note.added', { text, tag: 'fact', source: { path, startLine: 3, endLine: 4, remoteUrl } }, { at: 2 });
    cite('Cache off', 'src/cache.ts', 'http://git.internal:3000/acme/search/src/commit/abc1234/src/cache.ts#L3-L4');
    cite('Route group', 'app/(shop)/pay.ts', 'https://github.com/acme/shop/blob/abc1234/app/(shop)/pay.ts#L3-L4');
    cite('Hostile', 'x.ts', 'javascript:alert("https://evil.example.com")');
    s.add('action.added', { title: 'Add a cache' }, { at: 3 });
    const state = fold('INC-12', s.events);
    const lines = followUpIssue(state, state.actions[0]!).body.split('\n').filter((l) => l.startsWith('- Fact:'));
    assert.deepEqual(lines, [
      '- Fact: Cache off — [src/cache.ts:3-4](http://git.internal:3000/acme/search/src/commit/abc1234/src/cache.ts#L3-L4)',
      '- Fact: Route group — [app/(shop)/pay.ts:3-4](https://github.com/acme/shop/blob/abc1234/app/%28shop%29/pay.ts#L3-L4)',
      '- Fact: Hostile — x.ts:3-4',
    ]);
  });

  it('the checklist: open items only, with owner, due date and the issue link; escaped titles', () => {
    const s = new Script('INC-9');
    s.declare({ title: 'Checkout 5xx' }, { at: 1 });
    const a = s.add('action.added', { title: 'Alert when 5xx > 5% | page', owner: BOB, due: '2026-12-01' }, { at: 2 });
    s.add('action.updated', { actionId: a.id, issueUrl: 'https://github.com/acme/shop/issues/42' }, { at: 3 });
    const done = s.add('action.added', { title: 'Write the runbook' }, { at: 4 });
    s.add('action.updated', { actionId: done.id, done: true }, { at: 5 });
    s.add('action.added', { title: 'Add a contract test (EU gateway)' }, { at: 6 });
    const { text, count } = actionChecklistMarkdown(fold('INC-9', s.events));
    assert.equal(count, 2);
    assert.equal(text, [
      'Follow-ups of INC-9: Checkout 5xx',
      '',
      '- [ ] Alert when 5xx \\> 5% \\| page — Bob Baker, due 2026-12-01 ([issue](https://github.com/acme/shop/issues/42))',
      '- [ ] Add a contract test (EU gateway)',
      '',
    ].join('\n'));
    const none = new Script('INC-10');
    none.declare({}, { at: 1 });
    assert.deepEqual(actionChecklistMarkdown(fold('INC-10', none.events)), { text: 'Follow-ups of INC-10: Checkout 5xx\n\n_No open action items._\n', count: 0 });
  });
});
