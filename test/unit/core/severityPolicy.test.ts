import assert from 'node:assert/strict';
import { SEVERITIES } from '../../../src/protocol/events';
import { DEFAULT_CADENCE, SEVERITY_POLICY } from '../../../src/core/severityPolicy';

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
