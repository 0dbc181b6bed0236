import assert from 'node:assert/strict';
import {
  ClientEvent, DeclareEvent, EVENT_KINDS, EventData, NoteSource, SequencedEvent, utf8Bytes,
} from '../../../src/protocol/events';
import { describeZodError } from '../../../src/protocol/zodMessage';
import { ALICE, randomLog, uuid } from '../core/eventBuilder';

const AT = '2026-11-22T14:04:00.000Z';

describe('protocol/events', () => {
  it('has a data schema for each of the 21 event kinds of PROTOCOL.md, and nothing else', () => {
    assert.deepEqual([...EVENT_KINDS].sort(), [
      'action.added', 'action.updated', 'deploy.flagged', 'escalation.requested', 'incident.declared', 'incident.updated', 'mitigation.assessed',
      'mitigation.finished', 'mitigation.started', 'note.added', 'note.retagged', 'resolution.checked', 'role.assigned', 'severity.changed',
      'signal.linked', 'signal.resolved', 'status.changed', 'terminal.command', 'triage.recorded', 'update.posted', 'workstream.opened', 'workstream.updated',
    ]);
    assert.deepEqual(Object.keys(EventData).sort(), [...EVENT_KINDS].sort());
  });

  it('SequencedEvent accepts every kind as the server stores it, unchanged', () => {
    const log = randomLog(11, 200);
    assert.deepEqual([...new Set(log.map((e) => e.kind))].sort(), [...EVENT_KINDS].sort());
    for (const e of log) {
      const parsed = SequencedEvent.safeParse(JSON.parse(JSON.stringify(e)));
      assert.ok(parsed.success, `${e.kind} #${e.seq}: ${parsed.success ? '' : describeZodError(parsed.error)}`);
      assert.deepEqual(parsed.data, e);
    }
  });

  it('SequencedEvent needs the server stamps: seq, receivedAt and actor', () => {
    const e = { seq: 1, id: uuid(1), kind: 'note.added', at: AT, receivedAt: AT, actor: ALICE, data: { text: 'x', tag: 'note' } };
    assert.ok(SequencedEvent.safeParse(e).success);
    for (const key of ['seq', 'receivedAt', 'actor'] as const) {
      const { [key]: _dropped, ...rest } = e;
      const r = SequencedEvent.safeParse(rest);
      assert.ok(!r.success, `${key} missing`);
      assert.match(describeZodError(r.error), new RegExp(`^${key}: required`));
    }
  });

  it('ClientEvent refuses incident.declared, which only `declare` creates; DeclareEvent has no kind', () => {
    const data = { title: 'Checkout 5xx', severity: 'SEV2', symptom: '' };
    assert.ok(!ClientEvent.safeParse({ id: uuid(1), kind: 'incident.declared', at: AT, data }).success);
    const declared = DeclareEvent.safeParse({ id: uuid(1), at: AT, data });
    assert.ok(declared.success);
    assert.equal('kind' in declared.data, false);
  });

  it('incident.declared needs a title and a severity; an empty symptom is fine', () => {
    const r = EventData['incident.declared'].safeParse({ severity: 'SEV1', symptom: '' });
    assert.ok(!r.success);
    assert.equal(describeZodError(r.error), 'title: required (expected string)');
    assert.ok(EventData['incident.declared'].safeParse({ title: 't', severity: 'SEV1', symptom: '' }).success);
  });

  it('action.updated may clear owner and due with null, and set nothing at all', () => {
    assert.ok(EventData['action.updated'].safeParse({ actionId: uuid(1), owner: null, due: null }).success);
    assert.ok(EventData['action.updated'].safeParse({ actionId: uuid(1) }).success);
  });

  it('times accept a Z or an offset, and refuse local times and dates', () => {
    const time = (at: string) => ClientEvent.safeParse({ id: uuid(1), kind: 'status.changed', at, data: { status: 'identified' } }).success;
    assert.equal(time('2026-11-22T14:04:00Z'), true);
    assert.equal(time('2026-11-22T15:04:00.123+01:00'), true);
    assert.equal(time('2026-11-22T14:04:00'), false);
    assert.equal(time('2026-11-22'), false);
    assert.equal(time('2026-11-32T14:04:00Z'), false);
  });

  describe('NoteSource', () => {
    const base = { path: 'src/a.ts', startLine: 4, endLine: 4 };
    it('accepts a one-line source and a hex commit of 7 to 64 digits', () => {
      assert.ok(NoteSource.safeParse(base).success);
      assert.ok(NoteSource.safeParse({ ...base, commit: 'a'.repeat(7) }).success);
      assert.ok(NoteSource.safeParse({ ...base, commit: 'a'.repeat(64) }).success);
      assert.ok(!NoteSource.safeParse({ ...base, commit: 'a'.repeat(6) }).success);
      assert.ok(!NoteSource.safeParse({ ...base, commit: 'ABCDEF1' }).success, 'git prints commit ids in lower case');
    });
    it('refuses fractional line numbers', () => {
      assert.ok(!NoteSource.safeParse({ ...base, startLine: 1.5, endLine: 2 }).success);
    });
    it('takes a remoteUrl only on http(s): a click must never run or open anything else', () => {
      for (const ok of ['https://github.com/acme/pay/blob/4f2a9c1/src/pool.ts#L10-L12', 'http://gitlab.lan/acme/pay/-/blob/4f2a9c1/a.ts#L4']) {
        assert.ok(NoteSource.safeParse({ ...base, remoteUrl: ok }).success, ok);
      }
      for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'command:workbench.action.terminal.new', 'vscode://vscode.git/clone?url=x', 'ssh://git@github.com/a/b', 'data:text/html,<b>x</b>']) {
        const r = NoteSource.safeParse({ ...base, remoteUrl: bad });
        assert.ok(!r.success, bad);
        assert.match(describeZodError(r.error), /^remoteUrl: expected an http\(s\) URL/, bad);
      }
    });
  });

  it('utf8Bytes counts bytes, not UTF-16 units', () => {
    assert.equal(utf8Bytes(''), 0);
    assert.equal(utf8Bytes('abc'), 3);
    assert.equal(utf8Bytes('é'), 2);
    assert.equal(utf8Bytes('€'), 3);
    assert.equal(utf8Bytes('🔥'), 4);
  });
});
