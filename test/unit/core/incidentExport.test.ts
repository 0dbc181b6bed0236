import assert from 'node:assert/strict';
import { exportIncident, INCIDENT_EXPORT_FORMAT, parseIncidentExport } from '../../../src/core/incidentExport';
import { fold } from '../../../src/core/reducer';
import { summarize } from '../../../src/core/summary';
import { randomLog } from './eventBuilder';
import { scriptedIncident } from './scriptedIncident';

describe('core/incidentExport', () => {
  const { id, events } = scriptedIncident();

  it('holds the format tag, the summary and every event in seq order', () => {
    const out = exportIncident(id, events);
    assert.equal(out.format, 'incident-room/v1');
    assert.equal(INCIDENT_EXPORT_FORMAT, 'incident-room/v1');
    assert.deepEqual(out.incident, summarize(fold(id, events)));
    assert.deepEqual(out.incident, {
      id: 'INC-7', title: 'Checkout 5xx after deploy v2.14.0', severity: 'SEV2', status: 'resolved',
      declaredAt: '2026-11-22T22:52:00.000Z', commander: { id: 'erin@example.com', name: 'Erin Evans' }, headSeq: 33,
    });
    assert.deepEqual(out.events, events);
  });

  it('survives JSON and reads back identical', () => {
    const out = exportIncident(id, events);
    const json = JSON.stringify(out);
    assert.deepEqual(JSON.parse(json), out);
    const back = parseIncidentExport(json);
    assert.ok(back.ok);
    assert.deepEqual(back.value, out);
  });

  it('sorts by seq and drops repeats of a seq, so the summary matches the events it ships with', () => {
    const log = randomLog(5, 40, 'INC-2');
    const shuffled = [...log.slice(20), ...log.slice(0, 25).reverse()];
    const out = exportIncident('INC-2', shuffled);
    assert.deepEqual(out.events.map((e) => e.seq), log.map((e) => e.seq));
    assert.deepEqual(out.incident, summarize(fold('INC-2', log)));
  });

  it('is detached from the caller\'s events', () => {
    const input = structuredClone(events);
    const out = exportIncident(id, input);
    (out.events[0] as { data: { title: string } }).data.title = 'changed';
    assert.equal((input[0] as { data: { title: string } }).data.title, 'Checkout 5xx after deploy');
  });

  it('refuses a log without a declaration and an id that is not an incident id', () => {
    assert.throws(() => exportIncident('INC-7', events.slice(1)), { message: 'cannot export INC-7: its log has no incident.declared event' });
    assert.throws(() => exportIncident('../etc', events), { message: 'cannot export "../etc": expected an incident id like INC-7' });
  });

  it('parseIncidentExport names what is wrong', () => {
    const good = exportIncident(id, events);
    const bad = (value: unknown) => {
      const r = parseIncidentExport(value);
      assert.ok(!r.ok);
      return r.error;
    };
    assert.equal(bad('{'), 'export is not valid JSON');
    assert.equal(bad({ ...good, format: 'incident-room/v2' }), 'format: expected incident-room/v1');
    assert.equal(bad({ ...good, events: [...good.events.slice(0, 3), { ...good.events[3], seq: 0 }] }), 'events[3].seq: must be at least 1');
    assert.equal(bad({ ...good, incident: { ...good.incident, status: 'closed' } }), 'incident.status: expected investigating|identified|mitigating|monitoring|resolved');
  });
});
