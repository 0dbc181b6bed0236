// One scripted incident with every event kind, shared by the postmortem, export and status-update tests.
// Times are late evening UTC so the reader's zone (Europe/Berlin, UTC+1) crosses midnight.
import type { SequencedEvent } from '../../../src/protocol/events';
import { ALICE, BOB, CAROL, DAVE, ERIN, FRANK, Script, uuid } from './eventBuilder';

export const ROLLBACK_IMAGE = uuid(901);
export const ROLLBACK_REVERT = uuid(902);
export const PERMALINK = 'https://github.com/acme/shop/blob/abc1234def5678/src/checkout/pay.ts#L40-L44';
export const ALERT_FINGERPRINT = 'c0ffee0123456789';
export const WORKSTREAM_ROLLBACK = uuid(903);
export const WORKSTREAM_COMMS = uuid(904);
export const RETRY_PERMALINK = 'https://github.com/acme/shop/blob/abc1234def5678/src/checkout/client.ts#L12-L18';

/**
 * INC-7 as it happened: declared 22:52 UTC, SEV1 at its peak, a failed then a succeeded rollback, resolved 23:40.
 * `analysis` adds what the postmortem's analysis reads (#12): the alert that detected it, the trigger, root-cause
 * and contributing notes, did-it-help answers, workstreams, a rollback of two commands and the resolve checklist.
 * It is opt-in so the tests that count seqs of the plain script (status updates, export) keep theirs.
 */
export function scriptedIncident(options: { analysis?: boolean } = {}): { id: string; events: SequencedEvent[]; script: Script } {
  const analysis = options.analysis === true;
  const s = new Script('INC-7', '2026-11-22T22:00:00.000Z');
  s.declare({
    title: 'Checkout 5xx after deploy', severity: 'SEV2', symptom: 'Checkout API returns HTTP 500 for ~30% of requests',
    scope: 'EU checkout', impact: 'Customers in the EU cannot complete payment', detectedAt: s.time(48),
  }, { at: 52, by: ALICE });
  if (analysis) {
    s.add('signal.linked', {
      fingerprint: ALERT_FINGERPRINT, alertname: 'CheckoutHighErrorRate', summary: 'Checkout 5xx ratio above 5% | eu-west-1', startsAt: s.time(45),
      labels: { alertname: 'CheckoutHighErrorRate', severity: 'critical', service: 'checkout' },
    }, { at: 52, by: ALICE });
  }
  s.add('role.assigned', { role: 'scribe', user: CAROL }, { at: 53, by: ALICE });
  s.add('role.assigned', { role: 'tech_lead', user: BOB }, { at: 54, by: ALICE });
  if (analysis) {
    s.add('workstream.opened', { workstreamId: WORKSTREAM_ROLLBACK, title: 'Roll back v2.14.0', owner: BOB, kind: 'mitigate' }, { at: 54, by: ALICE });
    s.add('workstream.opened', { workstreamId: WORKSTREAM_COMMS, title: 'Tell payments partners', owner: ALICE, kind: 'communicate' }, { at: 55, by: ALICE });
  }
  s.add('incident.updated', { impactStartedAt: s.time(41), scope: 'EU checkout | payments API' }, { at: 55, by: CAROL });
  s.add('note.added', {
    text: 'Error rate jumped at 22:41, right after v2.14.0 rolled out', tag: 'fact',
    source: { path: 'src/checkout/pay.ts', startLine: 40, endLine: 44, commit: 'abc1234def5678', remoteUrl: PERMALINK, snippet: 'client.pay(order)' },
  }, { at: 56, by: CAROL });
  const guess = s.add('note.added', { text: 'Database connection pool exhausted', tag: 'guess' }, { at: 57, by: BOB });
  s.add('deploy.flagged', {
    ref: 'v2.14.0', sha: 'abc1234def5678', subject: 'Switch payment client to v3 | add retries', reason: 'Errors began one minute after rollout',
  }, { at: 58, by: BOB });
  s.add('triage.recorded', {
    users: { share: 'some', text: 'EU customers paying by card', count: 4200 }, regions: ['eu-west-1'], routes: ['/checkout/pay'], tenants: [],
    trend: 'growing', customer: { level: 'confirmed', evidence: '~30% of /checkout/pay requests return 500' },
    financial: { level: 'suspected', evidence: 'failed card payments | abandoned carts' }, dataIntegrity: { level: 'none' },
  }, { at: 58, by: CAROL });
  s.add('severity.changed', { severity: 'SEV1', reason: 'All EU checkouts failing' }, { at: 59, by: ALICE });
  s.add('status.changed', { status: 'identified', note: 'Suspect v2.14.0' }, { at: 60, by: ALICE });
  s.add('role.assigned', { role: 'communications', user: DAVE }, { at: 61, by: ALICE });
  s.add('update.posted', { audience: 'internal', text: 'EU checkout failing since 22:41; suspect v2.14.0; rolling back.' }, { at: 62, by: DAVE });
  s.add('update.posted', { audience: 'external', text: 'Some customers cannot complete payment. We are working on a fix.' }, { at: 63, by: DAVE });
  s.add('status.changed', { status: 'mitigating' }, { at: 63, by: ALICE });
  s.add('mitigation.started', {
    mitigationId: ROLLBACK_IMAGE, action: 'rollback', description: 'Roll back the image to v2.13.2',
    target: { ref: 'v2.13.2', sha: '99887766aabb' }, command: './deploy.sh v2.13.2',
  }, { at: 64, by: BOB });
  s.add('mitigation.finished', {
    mitigationId: ROLLBACK_IMAGE, result: 'failed', detail: 'deploy.sh exited with 1\nerror: image v2.13.2 not found in registry\n```',
  }, { at: 67, by: BOB });
  if (analysis) s.add('mitigation.assessed', { mitigationId: ROLLBACK_IMAGE, assessment: 'no_change', evidence: 'Error rate still 30%' }, { at: 67, by: BOB });
  s.add('note.retagged', { noteId: guess.id, tag: 'refuted' }, { at: 68, by: BOB });
  s.add('note.added', { text: 'Connection pool usage is at 20%', tag: 'fact' }, { at: 68, by: CAROL });
  s.add('note.added', { text: 'Roll back by reverting the v2.14.0 commits instead', tag: 'decision' }, { at: 69, by: ALICE });
  s.add('mitigation.started', {
    mitigationId: ROLLBACK_REVERT, action: 'rollback', description: 'Revert the v2.14.0 commits', target: { ref: 'v2.14.0' },
    // A revert rollback records its steps one a line.
    ...(analysis ? { command: 'git revert --no-edit abc1234def5678\ngit push origin HEAD:main' } : {}),
  }, { at: 70, by: BOB });
  s.add('mitigation.finished', { mitigationId: ROLLBACK_REVERT, result: 'succeeded', detail: 'Revert pushed; error rate back to 0.1%' }, { at: 76, by: BOB });
  if (analysis) s.add('mitigation.assessed', { mitigationId: ROLLBACK_REVERT, assessment: 'too_early', evidence: 'One minute of data' }, { at: 76, by: BOB });
  s.add('status.changed', { status: 'monitoring' }, { at: 77, by: ALICE });
  s.add('triage.recorded', {
    users: { share: 'few', text: 'EU card payers retrying', count: 120 }, regions: ['eu-west-1'], routes: ['/checkout/pay'], tenants: ['acme-eu'],
    trend: 'shrinking', customer: { level: 'confirmed', evidence: 'error rate back to 0.1%' },
    financial: { level: 'confirmed', evidence: '~310 card payments failed between 22:41 and 23:16' },
    dataIntegrity: { level: 'suspected', evidence: '12 payments may have been captured twice' }, note: 'Finance on-call told',
  }, { at: 77, by: CAROL });
  s.add('role.assigned', {
    role: 'commander', user: ERIN, note: 'Rollback done, watching the error rate; next update due 23:32',
  }, { at: 78, by: ALICE });
  s.add('role.assigned', { role: 'scribe', user: null, note: 'Going off shift' }, { at: 79, by: CAROL });
  s.add('severity.changed', { severity: 'SEV2', reason: 'Recovered; monitoring' }, { at: 80, by: ERIN });
  s.add('incident.updated', { title: 'Checkout 5xx after deploy v2.14.0' }, { at: 81, by: ERIN });
  if (analysis) {
    // The alert resolved two minutes after the revert finished (its endsAt), told to the channel a little later.
    s.add('signal.resolved', { fingerprint: ALERT_FINGERPRINT, alertname: 'CheckoutHighErrorRate', startsAt: s.time(45), endsAt: s.time(78) }, { at: 82, by: ALICE });
    s.add('mitigation.assessed', { mitigationId: ROLLBACK_REVERT, assessment: 'helped', evidence: '5xx ratio 0.1% for 5 min' }, { at: 82, by: BOB });
    s.add('workstream.updated', { workstreamId: WORKSTREAM_ROLLBACK, state: 'done', note: 'Reverted' }, { at: 83, by: BOB });
    s.add('workstream.updated', { workstreamId: WORKSTREAM_COMMS, owner: DAVE, note: 'Dave takes comms' }, { at: 84, by: ALICE });
  }
  s.add('action.added', { title: 'Check the image exists before rollback in deploy.sh', owner: BOB, due: '2026-11-25' }, { at: 85, by: ERIN });
  s.add('action.added', { title: 'Alert when checkout 5xx > 5% | page on-call', owner: FRANK, due: '2026-12-15' }, { at: 86, by: ERIN });
  const doc = s.add('action.added', { title: 'Document rollback by revert', due: '2026-11-24' }, { at: 87, by: ERIN });
  s.add('action.updated', { actionId: doc.id, done: true }, { at: 88, by: ERIN });
  if (analysis) {
    s.add('note.added', { text: 'v2.14.0 switched the payment client to v3, which rejects EU card tokens', tag: 'trigger' }, { at: 89, by: BOB });
    s.add('note.added', {
      text: 'The v3 client sends the card token unwrapped | the EU gateway expects it wrapped', tag: 'root-cause',
      source: { path: 'src/checkout/client.ts', startLine: 12, endLine: 18, commit: 'abc1234def5678', remoteUrl: RETRY_PERMALINK },
    }, { at: 90, by: BOB });
    s.add('note.added', { text: 'The contract tests run against the US gateway only', tag: 'root-cause' }, { at: 91, by: BOB });
    const retries = s.add('note.added', { text: 'Retries tripled the load on the gateway', tag: 'guess' }, { at: 92, by: CAROL });
    s.add('note.retagged', { noteId: retries.id, tag: 'contributing' }, { at: 93, by: BOB });
    s.add('note.added', { text: 'The image of v2.13.2 had been garbage-collected from the registry', tag: 'contributing' }, { at: 94, by: BOB });
  }
  s.add('update.posted', { audience: 'internal', text: 'Recovered after revert; monitoring.' }, { at: 95, by: DAVE });
  if (analysis) {
    s.add('resolution.checked', {
      impactStopped: true, monitored: true, rootCauseKnown: true, followUpFiled: false,
      note: 'Follow-ups are in the action items; filing them after the review',
    }, { at: 100, by: ERIN });
  }
  s.add('status.changed', { status: 'resolved', note: 'Error rate normal for 20 minutes' }, { at: 100, by: ERIN });
  return { id: s.incidentId, events: s.events, script: s };
}
