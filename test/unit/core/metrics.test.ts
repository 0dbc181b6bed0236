import assert from 'node:assert/strict';
import { formatDuration, incidentMetrics } from '../../../src/core/metrics';
import { emptyIncident, fold } from '../../../src/core/reducer';
import { Script, uuid } from './eventBuilder';

const MIN = 60_000;

describe('core/metrics', () => {
  it('key times and the durations between them', () => {
    const s = new Script();
    s.declare({ detectedAt: s.time(-4) }, { at: 0 });
    s.add('incident.updated', { impactStartedAt: s.time(-10) }, { at: 1 });
    s.add('mitigation.started', { mitigationId: uuid(1), action: 'rollback', description: 'a' }, { at: 12 });
    s.add('mitigation.finished', { mitigationId: uuid(1), result: 'failed' }, { at: 15 });
    s.add('mitigation.started', { mitigationId: uuid(2), action: 'failover', description: 'b' }, { at: 16 });
    s.add('mitigation.finished', { mitigationId: uuid(2), result: 'succeeded' }, { at: 26 });
    s.add('status.changed', { status: 'monitoring' }, { at: 28 });
    s.add('status.changed', { status: 'resolved' }, { at: 56 });
    assert.deepEqual(incidentMetrics(fold('INC-7', s.events)), {
      impactStartedAt: s.time(-10), detectedAt: s.time(-4), declaredAt: s.time(0),
      firstMitigationAt: s.time(12), mitigatedAt: s.time(26), resolvedAt: s.time(56),
      timeToDetectMs: 6 * MIN, timeToDeclareMs: 4 * MIN, timeToMitigateMs: 30 * MIN, timeToResolveMs: 60 * MIN,
    });
  });

  it('without a detection time, detection is taken as the declaration: time to declare 0', () => {
    const s = new Script();
    s.declare({}, { at: 0 });
    const m = incidentMetrics(fold('INC-7', s.events));
    assert.equal(m.detectedAt, s.time(0));
    assert.equal(m.timeToDeclareMs, 0);
    assert.equal(m.timeToDetectMs, null, 'no impact start recorded');
  });

  it('a failed mitigation does not count as mitigated; moving to monitoring does', () => {
    const s = new Script();
    s.declare({}, { at: 0 });
    s.add('mitigation.started', { mitigationId: uuid(1), action: 'restart', description: 'a' }, { at: 5 });
    s.add('mitigation.finished', { mitigationId: uuid(1), result: 'failed' }, { at: 6 });
    let m = incidentMetrics(fold('INC-7', s.events));
    assert.equal(m.firstMitigationAt, s.time(5));
    assert.equal(m.mitigatedAt, null);
    assert.equal(m.timeToMitigateMs, null);
    s.add('status.changed', { status: 'monitoring' }, { at: 20 });
    m = incidentMetrics(fold('INC-7', s.events));
    assert.equal(m.mitigatedAt, s.time(20));
    assert.equal(m.timeToMitigateMs, 20 * MIN);
  });

  it('a reopened incident has no resolution time until it is resolved again', () => {
    const s = new Script();
    s.declare({}, { at: 0 });
    s.add('status.changed', { status: 'resolved' }, { at: 30 });
    assert.equal(incidentMetrics(fold('INC-7', s.events)).resolvedAt, s.time(30));
    s.add('status.changed', { status: 'investigating', note: 'errors are back' }, { at: 40 });
    const reopened = incidentMetrics(fold('INC-7', s.events));
    assert.equal(reopened.resolvedAt, null);
    assert.equal(reopened.timeToResolveMs, null);
    assert.equal(reopened.mitigatedAt, s.time(30), 'it was mitigated once, and stays so');
    s.add('status.changed', { status: 'resolved' }, { at: 70 });
    const again = incidentMetrics(fold('INC-7', s.events));
    assert.equal(again.resolvedAt, s.time(70), 'the last resolution counts');
    assert.equal(again.timeToResolveMs, 70 * MIN);
  });

  it('an undeclared incident has no times at all', () => {
    const m = incidentMetrics(emptyIncident('INC-1'));
    assert.deepEqual(Object.values(m), Array(10).fill(null));
  });

  it('formatDuration writes hours and minutes, minutes and seconds, or seconds', () => {
    assert.equal(formatDuration(null), '—');
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(45_000), '45s');
    assert.equal(formatDuration(12 * MIN + 30_000), '12m 30s');
    assert.equal(formatDuration(65 * MIN), '1h 05m');
    assert.equal(formatDuration(26 * 60 * MIN), '26h 00m');
    assert.equal(formatDuration(59_600), '1m 00s', 'rounds to the second');
    assert.equal(formatDuration(-90_000), '-1m 30s');
  });
});
