import assert from 'node:assert/strict';
import { CHANNEL_PATTERN, CloseCode, ERROR_CODES, INCIDENT_ID_PATTERN, Limits, PROTOCOL_VERSION } from '../../../src/protocol/codes';

describe('protocol/codes', () => {
  it('speaks protocol version 1', () => assert.equal(PROTOCOL_VERSION, 1));

  it('has the close codes of PROTOCOL.md', () => {
    assert.deepEqual(CloseCode, { GoingAway: 1001, TooBig: 1009, ProtocolError: 4400, TooSlow: 4408, RateLimited: 4429, Forbidden: 4403 });
  });

  it('has the error codes of PROTOCOL.md', () => {
    assert.deepEqual([...ERROR_CODES], ['invalid_message', 'unknown_incident', 'rate_limited', 'too_large', 'forbidden', 'internal']);
  });

  it('has the limits of PROTOCOL.md', () => {
    assert.equal(Limits.maxFrameBytes, 262_144);
    assert.deepEqual(
      [Limits.titleLength, Limits.symptomLength, Limits.noteLength, Limits.snippetBytes, Limits.updateLength, Limits.detailLength, Limits.requestIdLength],
      [200, 2000, 8000, 16_384, 4000, 8000, 64],
    );
  });

  it('channel names: lowercase letters, digits and dashes, 1 to 63, not starting with a dash', () => {
    for (const ok of ['payments-oncall', 'a', '0ops', `a${'b'.repeat(62)}`]) assert.ok(CHANNEL_PATTERN.test(ok), ok);
    for (const bad of ['', '-x', 'Payments', 'pay_ments', 'pay.ments', `a${'b'.repeat(63)}`, 'a/b', 'a\n']) assert.ok(!CHANNEL_PATTERN.test(bad), JSON.stringify(bad));
  });

  it('incident ids: INC- and a number from 1 without leading zeros', () => {
    for (const ok of ['INC-1', 'INC-7', 'INC-1234567890']) assert.ok(INCIDENT_ID_PATTERN.test(ok), ok);
    for (const bad of ['INC-0', 'INC-01', 'inc-7', 'INC-', 'INC-12345678901', 'INC-7 ', 'XINC-7']) assert.ok(!INCIDENT_ID_PATTERN.test(bad), bad);
  });
});
