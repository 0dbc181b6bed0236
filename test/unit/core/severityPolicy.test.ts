import assert from 'node:assert/strict';
import { EventData, IMPACT_LEVELS, SEVERITIES, USER_SHARES, type Severity } from '../../../src/protocol/events';
import type { Triage } from '../../../src/core/incidentState';
import { fold } from '../../../src/core/reducer';
import { DEFAULT_CADENCE, incidentSuggestion, SEVERITY_POLICY, suggestSeverity } from '../../../src/core/severityPolicy';
import { BOB, Script } from './eventBuilder';

describe('core/severityPolicy', () => {
  it('default cadence is SEV1 15 min, SEV2 30, SEV3 60, SEV4 none (DESIGN.md)', () => {
    assert.deepEqual(DEFAULT_CADENCE, { SEV1: 15, SEV2: 30, SEV3: 60, SEV4: null });
  });
  it('every severity has a label and criteria to show in the picker', () => {
    for (const sev of SEVERITIES) {
      assert.ok(SEVERITY_POLICY[sev].label.length > 0, sev);
      assert.ok(SEVERITY_POLICY[sev].criteria.length > 0, sev);
    }
  });
});

describe('core/severityPolicy: the suggestion from triage', () => {
  /** A triage as it arrives on the wire (JSON), nothing affected unless the case says so. */
  function triage(over: { share?: string; trend?: string; customer?: string; financial?: string; dataIntegrity?: string; count?: number } = {}): Triage {
    const raw = JSON.stringify({
      users: { share: over.share ?? 'unknown', ...(over.count !== undefined ? { count: over.count } : {}) },
      regions: [], routes: [], tenants: [], trend: over.trend ?? 'stable',
      customer: { level: over.customer ?? 'none' }, financial: { level: over.financial ?? 'none' }, dataIntegrity: { level: over.dataIntegrity ?? 'none' },
    });
    return EventData['triage.recorded'].parse(JSON.parse(raw));
  }

  // [what the triage says, the severity suggested, the text shown]
  const CASES: [Parameters<typeof triage>[0], Severity, string][] = [
    [{ dataIntegrity: 'confirmed' }, 'SEV1', 'SEV1 suggested: data integrity impact confirmed'],
    [{ dataIntegrity: 'confirmed', share: 'few', trend: 'shrinking' }, 'SEV1', 'SEV1 suggested: data integrity impact confirmed'],
    [{ share: 'most', customer: 'confirmed' }, 'SEV1', 'SEV1 suggested: most users affected'],
    [{ share: 'all' }, 'SEV1', 'SEV1 suggested: all users affected'],
    [{ share: 'all', dataIntegrity: 'confirmed', financial: 'confirmed' }, 'SEV1', 'SEV1 suggested: data integrity impact confirmed; all users affected'],
    [{ share: 'some', customer: 'confirmed' }, 'SEV2', 'SEV2 suggested: customer impact confirmed for some users'],
    [{ customer: 'confirmed' }, 'SEV2', 'SEV2 suggested: customer impact confirmed, share of users unknown'],
    [{ financial: 'confirmed' }, 'SEV2', 'SEV2 suggested: financial impact confirmed'],
    [{ share: 'few', customer: 'confirmed', financial: 'confirmed' }, 'SEV2', 'SEV2 suggested: financial impact confirmed'],
    [{ dataIntegrity: 'suspected' }, 'SEV2', 'SEV2 suggested: data integrity impact suspected'],
    [{ share: 'some', customer: 'confirmed', trend: 'growing' }, 'SEV2', 'SEV2 suggested: customer impact confirmed for some users'],
    [{ share: 'few', customer: 'confirmed' }, 'SEV3', 'SEV3 suggested: customer impact confirmed for few users'],
    [{ customer: 'suspected' }, 'SEV3', 'SEV3 suggested: customer impact suspected'],
    [{ share: 'some', customer: 'suspected', financial: 'suspected' }, 'SEV3', 'SEV3 suggested: customer impact suspected; financial impact suspected'],
    [{ share: 'few' }, 'SEV3', 'SEV3 suggested: few users affected'],
    [{ share: 'some', count: 40 }, 'SEV3', 'SEV3 suggested: some users affected'],
    [{ customer: 'suspected', trend: 'growing' }, 'SEV2', 'SEV2 suggested: customer impact suspected; impact growing'],
    [{ share: 'few', customer: 'confirmed', trend: 'growing' }, 'SEV2', 'SEV2 suggested: customer impact confirmed for few users; impact growing'],
    [{}, 'SEV4', 'SEV4 suggested: no customer, financial or data-integrity impact found'],
    [{ trend: 'growing' }, 'SEV4', 'SEV4 suggested: no customer, financial or data-integrity impact found'],
    [{ trend: 'unknown', count: 3 }, 'SEV4', 'SEV4 suggested: no customer, financial or data-integrity impact found'],
  ];
  for (const [over, severity, text] of CASES) {
    it(`${JSON.stringify(over)} → ${text}`, () => {
      const s = suggestSeverity(triage(over));
      assert.equal(s.severity, severity);
      assert.equal(s.text, text);
      assert.equal(s.text, `${s.severity} suggested: ${s.reasons.join('; ')}`);
    });
  }

  it('is monotone: confirming an impact, or widening the share of users, never lowers the suggestion', () => {
    const worse = <T extends string>(xs: readonly T[], a: T, b: T) => xs.indexOf(a) <= xs.indexOf(b);
    for (const share of USER_SHARES) for (const customer of IMPACT_LEVELS) for (const financial of IMPACT_LEVELS) for (const dataIntegrity of IMPACT_LEVELS) {
      const base = suggestSeverity(triage({ share, customer, financial, dataIntegrity })).severity;
      for (const level of IMPACT_LEVELS) {
        if (!worse(IMPACT_LEVELS, customer, level)) continue;
        const more = suggestSeverity(triage({ share, customer: level, financial, dataIntegrity })).severity;
        assert.ok(more <= base, `${share}/${customer}→${level}/${financial}/${dataIntegrity}: ${base} → ${more}`);
      }
      for (const level of IMPACT_LEVELS) {
        if (worse(IMPACT_LEVELS, financial, level)) assert.ok(suggestSeverity(triage({ share, customer, financial: level, dataIntegrity })).severity <= base);
        if (worse(IMPACT_LEVELS, dataIntegrity, level)) assert.ok(suggestSeverity(triage({ share, customer, financial, dataIntegrity: level })).severity <= base);
      }
      for (const wider of ['few', 'some', 'most', 'all'] as const) {
        if (share === 'unknown' || !worse(USER_SHARES, share, wider)) continue;
        assert.ok(suggestSeverity(triage({ share: wider, customer, financial, dataIntegrity })).severity <= base, `${share}→${wider}`);
      }
    }
  });

  it('for an incident: null before any triage; the latest triage decides, and whether it differs from the severity now', () => {
    const script = new Script();
    script.declare({ severity: 'SEV2' });
    assert.equal(incidentSuggestion(fold(script.incidentId, script.events)), null);
    script.add('triage.recorded', triage({ dataIntegrity: 'confirmed' }));
    let s = fold(script.incidentId, script.events);
    assert.deepEqual(incidentSuggestion(s), { severity: 'SEV1', reasons: ['data integrity impact confirmed'], text: 'SEV1 suggested: data integrity impact confirmed', differs: true });
    assert.equal(s.severity, 'SEV2', 'suggested, never changed');
    script.add('triage.recorded', triage({ share: 'some', customer: 'confirmed' }), { by: BOB });
    s = fold(script.incidentId, script.events);
    assert.equal(incidentSuggestion(s)?.severity, 'SEV2');
    assert.equal(incidentSuggestion(s)?.differs, false);
  });
});
