import * as assert from 'node:assert/strict';
import { actionChecklistMarkdown, followUpIssue } from '../../../src/core/followUp';
import { fold } from '../../../src/core/reducer';
import { BOB, Script } from './eventBuilder';
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
