// Incident: Record Triage inside a real VS Code, in local mode, with an argument object (as automation would): the
// triage lands on the incident and in the sidebar's state with the severity it suggests beside the current one, the
// severity itself unchanged; a bad argument object is refused before anything is recorded (the field named in the
// error: test/unit/protocol/commands.test.ts checks the wording).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Container } from '../../src/extension/container';
import { until } from '../support/until';
import { activateOnline } from './extensionUnderTest';

const run = <T = unknown>(id: string, args?: unknown): Thenable<T> => vscode.commands.executeCommand<T>(id, args);

/** A triage as automation would send it: parsed from JSON, like the wire's. */
const TRIAGE = JSON.parse(`{"users":{"share":"few","text":"one reseller","count":40},"regions":["us-east-1"],"routes":["/v1/invoices"],
  "tenants":["initech"],"trend":"stable","customer":{"level":"confirmed","evidence":"invoices show yesterday's totals"},
  "financial":{"level":"none"},"dataIntegrity":{"level":"confirmed","evidence":"12 invoices summed twice"}}`);

suite('Record Triage (local mode)', () => {
  let c: Container;

  suiteSetup(async function () {
    this.timeout(60_000);
    c = await activateOnline();
  });

  test('records the triage; the sidebar shows it and suggests SEV1 beside SEV3, which stays', async () => {
    const incidentId = await run<string>('incidentRoom.declare', { title: 'Invoices double-counted', severity: 'SEV3' });
    await until('declared', () => c.service.focusedIncident?.id === incidentId);
    const eventId = await run<string>('incidentRoom.triage', TRIAGE);
    const s = await until('triage folded', () => c.service.focusedIncident?.triage?.seq !== undefined && c.service.focusedIncident);
    assert.equal(s.triage?.users.text, 'one reseller');
    assert.equal(s.triage?.by.id, c.service.me.id);
    assert.equal(s.timeline.at(-1)?.id, eventId);
    assert.equal(s.severity, 'SEV3', 'the triage only suggests');
    const view = await until('sidebar state', () => { const i = c.view.snapshot().incident; return i?.triage ? i : undefined; });
    assert.equal(view.triage?.who, 'Few users · ~40 · one reseller');
    assert.equal(view.triage?.where, 'us-east-1, /v1/invoices, tenant initech');
    assert.deepEqual(view.suggestion, { severity: 'SEV1', text: 'SEV1 suggested: data integrity impact confirmed' });
    assert.match(view.timeline[0]?.text ?? '', /^Triage: few users affected \(~40, one reseller\)/);
  });

  test('a bad argument object (an unknown trend, an unknown impact level) is refused; nothing is recorded', async () => {
    const before = c.service.focusedIncident?.timeline.length;
    await run('incidentRoom.triage', { ...TRIAGE, trend: 'exploding' });
    await run('incidentRoom.triage', { ...TRIAGE, customer: { level: 'maybe' } });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(c.service.focusedIncident?.timeline.length, before);
  });
});
