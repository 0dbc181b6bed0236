import assert from 'node:assert/strict';
import { Limits } from '../../../src/protocol/codes';
import { EVENT_KINDS } from '../../../src/protocol/events';
import { parseClientMessage, parseServerMessage, type ParseResult } from '../../../src/protocol/messages';
import { ALICE, randomLog, uuid } from '../core/eventBuilder';

const AT = '2026-11-22T14:04:00.000Z';
const ID = uuid(1);

/** One valid client event of every appendable kind. */
const APPENDS: Record<string, unknown> = {
  'incident.updated': { title: 'New title', impactStartedAt: '2026-11-22T13:58:00+01:00' },
  'severity.changed': { severity: 'SEV1', reason: 'worse' },
  'status.changed': { status: 'mitigating', note: 'rolling back' },
  'role.assigned': { role: 'scribe', user: { id: 'bob@example.com', name: 'Bob' }, note: 'brief' },
  'note.added': { text: 'error rate up', tag: 'fact', source: { path: 'src/a.ts', startLine: 3, endLine: 5, commit: 'abc1234', remoteUrl: 'https://example.com/a.ts#L3-L5', snippet: 'x()' } },
  'note.retagged': { noteId: uuid(2), tag: 'refuted' },
  'deploy.flagged': { ref: 'v1.2.3', sha: 'abc1234def', subject: 'feat', reason: 'timing' },
  'mitigation.started': { mitigationId: uuid(3), action: 'rollback', description: 'roll back', target: { ref: 'v1.2.2', sha: 'abc1234' }, command: './deploy.sh v1.2.2' },
  'mitigation.finished': { mitigationId: uuid(3), result: 'failed', detail: 'exit 1' },
  'update.posted': { audience: 'external', text: 'We are on it', nextUpdateBy: AT },
  'action.added': { title: 'Add alert', owner: { id: 'bob@example.com', name: 'Bob' }, due: '2026-12-01' },
  'action.updated': { actionId: uuid(4), owner: null, due: null, done: true },
  'triage.recorded': {
    users: { text: 'EU card payers', share: 'some', count: 1200 }, regions: ['eu-west-1'], routes: ['POST /checkout'], tenants: ['acme'],
    trend: 'growing', customer: { level: 'confirmed', evidence: '5xx on checkout' }, financial: { level: 'suspected' }, dataIntegrity: { level: 'none' }, note: 'n',
  },
  'signal.linked': {
    fingerprint: 'c6fd86708fca2138', alertname: 'HighErrorRate', summary: 'Checkout 5xx above 5%', startsAt: '2026-11-22T13:58:00.43Z',
    labels: { alertname: 'HighErrorRate', severity: 'critical' }, generatorURL: 'http://prometheus.example.com:9090/graph?g0.expr=up',
  },
  'signal.resolved': { fingerprint: 'c6fd86708fca2138', alertname: 'HighErrorRate', startsAt: '2026-11-22T13:58:00.43Z', endsAt: AT },
  'mitigation.assessed': { mitigationId: uuid(3), assessment: 'helped', evidence: '5xx back to 0.1%' },
  'workstream.opened': { workstreamId: uuid(5), title: 'Check the DB pool', owner: { id: 'bob@example.com', name: 'Bob' }, kind: 'investigate' },
  'workstream.updated': { workstreamId: uuid(5), state: 'done', note: 'pool fine' },
  'resolution.checked': { impactStopped: true, monitored: false, rootCauseKnown: false, followUpFiled: true, firingSignals: ['c6fd86708fca2138'], note: 'short monitoring' },
  'terminal.command': { commandLine: 'curl -H "Authorization: Bearer [redacted]" https://api/health', exitCode: 7, durationMs: 3012, cwd: '/srv/api', terminal: 'bash' },
  'escalation.requested': { reason: 'nobody owns the ledger', summary: 'INC-7 SEV1 Checkout 5xx', severity: 'critical', dedupKey: 'INC-7' },
};

const append = (kind: string, data: unknown, event: Record<string, unknown> = {}) =>
  ({ type: 'append', requestId: 'r2', incidentId: 'INC-7', event: { id: ID, kind, at: AT, data, ...event } });
const declare = (data: Record<string, unknown> = {}) =>
  ({ type: 'declare', requestId: 'r1', event: { id: ID, at: AT, data: { title: 'Checkout 5xx', severity: 'SEV2', symptom: '500s', ...data } } });

function ok<T>(r: ParseResult<T>): T {
  if (!r.ok) assert.fail(`expected the frame to parse, got: ${r.error}`);
  return r.value;
}
function refused<T>(r: ParseResult<T>): string {
  if (r.ok) assert.fail(`expected a refusal, got ${JSON.stringify(r.value)}`);
  return r.error;
}
const client = (m: unknown) => parseClientMessage(JSON.stringify(m));
const server = (m: unknown) => parseServerMessage(JSON.stringify(m));

describe('protocol/messages', () => {
  describe('parseClientMessage accepts every client message', () => {
    it('hello, subscribe, unsubscribe, list and ping', () => {
      assert.deepEqual(ok(client({ type: 'hello', protocol: 1, clientId: 'c-1', user: ALICE })), { type: 'hello', protocol: 1, clientId: 'c-1', user: ALICE });
      assert.deepEqual(ok(client({ type: 'subscribe', incidentId: 'INC-7', afterSeq: 0 })), { type: 'subscribe', incidentId: 'INC-7', afterSeq: 0 });
      assert.deepEqual(ok(client({ type: 'unsubscribe', incidentId: 'INC-7' })), { type: 'unsubscribe', incidentId: 'INC-7' });
      assert.deepEqual(ok(client({ type: 'list', requestId: 'r3' })), { type: 'list', requestId: 'r3' });
      assert.deepEqual(ok(client({ type: 'ping', requestId: 'r4' })), { type: 'ping', requestId: 'r4' });
    });

    it('declare with every optional field, and with only the required ones', () => {
      const full = ok(client(declare({ scope: 'EU', impact: 'no payments', detectedAt: '2026-11-22T14:02:00.000Z' })));
      assert.deepEqual(full, declare({ scope: 'EU', impact: 'no payments', detectedAt: '2026-11-22T14:02:00.000Z' }));
      assert.equal(ok(client(declare({ symptom: '' }))).type, 'declare', 'an empty symptom is allowed');
    });

    for (const kind of Object.keys(APPENDS)) {
      it(`append of ${kind}`, () => {
        const m = append(kind, APPENDS[kind]);
        assert.deepEqual(ok(client(m)), m);
      });
    }

    it('covers every appendable event kind of the protocol', () => {
      assert.deepEqual(Object.keys(APPENDS).sort(), EVENT_KINDS.filter((k) => k !== 'incident.declared').sort());
    });

    it('accepts an already-parsed value as well as a JSON string', () => {
      assert.deepEqual(ok(parseClientMessage({ type: 'ping', requestId: 'r' })), { type: 'ping', requestId: 'r' });
    });

    it('strips unknown fields instead of passing them on', () => {
      assert.deepEqual(ok(client({ type: 'ping', requestId: 'r', admin: true })), { type: 'ping', requestId: 'r' });
    });
  });

  describe('refusals name the field', () => {
    const cases: [string, unknown, string][] = [
      ['a bad severity', append('severity.changed', { severity: 'SEV5' }), 'event.data.severity: expected SEV1|SEV2|SEV3|SEV4'],
      ['a bad severity in declare', declare({ severity: 'sev1' }), 'event.data.severity: expected SEV1|SEV2|SEV3|SEV4'],
      ['an unknown type', { type: 'shout' }, 'type: expected hello|subscribe|unsubscribe|declare|append|list|ping|signals'],
      ['a missing type', { requestId: 'r' }, 'type: expected hello|subscribe|unsubscribe|declare|append|list|ping|signals'],
      ['an unknown event kind', append('incident.exploded', {}),
        'event.kind: expected incident.updated|severity.changed|status.changed|role.assigned|note.added|note.retagged|deploy.flagged|mitigation.started|mitigation.finished|update.posted|action.added|action.updated|triage.recorded|signal.linked|signal.resolved|escalation.requested|mitigation.assessed|workstream.opened|workstream.updated|resolution.checked|terminal.command'],
      ['incident.declared sent with append', append('incident.declared', { title: 't', severity: 'SEV1', symptom: '' }),
        'event.kind: expected incident.updated|severity.changed|status.changed|role.assigned|note.added|note.retagged|deploy.flagged|mitigation.started|mitigation.finished|update.posted|action.added|action.updated|triage.recorded|signal.linked|signal.resolved|escalation.requested|mitigation.assessed|workstream.opened|workstream.updated|resolution.checked|terminal.command'],
      ['a bad status', append('status.changed', { status: 'done' }), 'event.data.status: expected investigating|identified|mitigating|monitoring|resolved'],
      ['a bad role', append('role.assigned', { role: 'boss', user: null }), 'event.data.role: expected commander|tech_lead|communications|scribe'],
      ['a role without user (null is how to unassign)', append('role.assigned', { role: 'scribe' }), 'event.data.user: required (expected object)'],
      ['a bad note tag', append('note.added', { text: 'x', tag: 'refuted' }), 'event.data.tag: expected note|fact|guess|decision|action|trigger|root-cause|contributing'],
      ['a bad retag', append('note.retagged', { noteId: uuid(2), tag: 'maybe' }), 'event.data.tag: expected note|fact|guess|decision|action|trigger|root-cause|contributing|refuted'],
      ['a bad mitigation action', append('mitigation.started', { mitigationId: uuid(3), action: 'pray', description: 'x' }),
        'event.data.action: expected rollback|feature_flag|failover|restart|scale|other|traffic_shift|bypass|load_shed'],
      ['a bad mitigation result', append('mitigation.finished', { mitigationId: uuid(3), result: 'meh' }), 'event.data.result: expected succeeded|failed|cancelled'],
      ['a bad audience', append('update.posted', { audience: 'press', text: 'x' }), 'event.data.audience: expected internal|external'],
      ['a time without zone', append('note.added', { text: 'x', tag: 'note' }, { at: '2026-11-22T14:04:00' }),
        'event.at: expected an ISO-8601 time with a zone, like 2026-11-22T14:04:00.000Z'],
      ['a time that is not a time', append('note.added', { text: 'x', tag: 'note' }, { at: 'yesterday' }),
        'event.at: expected an ISO-8601 time with a zone, like 2026-11-22T14:04:00.000Z'],
      ['a date where a time is due', declare({ detectedAt: '2026-11-22' }), 'event.data.detectedAt: expected an ISO-8601 time with a zone, like 2026-11-22T14:04:00.000Z'],
      ['a bad due date', append('action.added', { title: 'x', due: '2026-13-01' }), 'event.data.due: expected a date like 2026-11-30'],
      ['a bad event id', append('note.added', { text: 'x', tag: 'note' }, { id: 'not-a-uuid' }), 'event.id: expected a UUID'],
      ['a bad note id', append('note.retagged', { noteId: '42', tag: 'fact' }), 'event.data.noteId: expected a UUID'],
      ['a bad commit id', append('deploy.flagged', { ref: 'v1', sha: 'XYZ' }), 'event.data.sha: expected a hex commit id'],
      ['a bad permalink', append('note.added', { text: 'x', tag: 'note', source: { path: 'a', startLine: 1, endLine: 1, remoteUrl: 'not a url' } }),
        'event.data.source.remoteUrl: expected an http(s) URL'],
      ['lines out of order', append('note.added', { text: 'x', tag: 'note', source: { path: 'a', startLine: 9, endLine: 2 } }),
        'event.data.source.endLine: endLine must not be before startLine'],
      ['line 0', append('note.added', { text: 'x', tag: 'note', source: { path: 'a', startLine: 0, endLine: 1 } }), 'event.data.source.startLine: must be at least 1'],
      ['an empty note', append('note.added', { text: '', tag: 'note' }), 'event.data.text: must not be empty'],
      ['a missing note text', append('note.added', { tag: 'note' }), 'event.data.text: required (expected string)'],
      ['a number for a string', append('note.added', { text: 42, tag: 'note' }), 'event.data.text: expected string, got number'],
      ['a string for a boolean', append('action.updated', { actionId: uuid(4), done: 'yes' }), 'event.data.done: expected boolean, got string'],
      ['a negative afterSeq', { type: 'subscribe', incidentId: 'INC-7', afterSeq: -1 }, 'afterSeq: must be at least 0'],
      ['a bad incident id', { type: 'subscribe', incidentId: 'INC-0', afterSeq: 0 }, 'incidentId: expected an incident id like INC-7'],
      ['a user without name', { type: 'hello', protocol: 1, clientId: 'c', user: { id: 'a' } }, 'user.name: required (expected string)'],
      ['an empty requestId', { type: 'ping', requestId: '' }, 'requestId: must not be empty'],
    ];
    for (const [what, message, error] of cases) {
      it(`refuses ${what}`, () => assert.equal(refused(client(message)), error));
    }

    it('refuses a frame that is not JSON', () => {
      assert.equal(refused(parseClientMessage('{"type":"ping",')), 'frame is not valid JSON');
      assert.equal(refused(parseServerMessage('')), 'frame is not valid JSON');
    });

    it('refuses JSON that is not an object', () => {
      for (const raw of ['[]', '[{"type":"ping","requestId":"r"}]', 'null', '42', '"ping"', 'true']) {
        assert.equal(refused(parseClientMessage(raw)), 'message must be a JSON object', raw);
        assert.equal(refused(parseServerMessage(raw)), 'message must be a JSON object', raw);
      }
      assert.equal(refused(parseClientMessage(null)), 'message must be a JSON object');
    });
  });

  describe('length limits of PROTOCOL.md', () => {
    const limitCases: [string, (n: number) => unknown, number, string][] = [
      ['title (1–200)', (n) => declare({ title: 't'.repeat(n) }), Limits.titleLength, 'event.data.title: must be at most 200 characters'],
      ['symptom (≤ 2000)', (n) => declare({ symptom: 's'.repeat(n) }), Limits.symptomLength, 'event.data.symptom: must be at most 2000 characters'],
      ['note text (1–8000)', (n) => append('note.added', { text: 'x'.repeat(n), tag: 'note' }), Limits.noteLength, 'event.data.text: must be at most 8000 characters'],
      ['update text (1–4000)', (n) => append('update.posted', { audience: 'internal', text: 'x'.repeat(n) }), Limits.updateLength, 'event.data.text: must be at most 4000 characters'],
      ['mitigation detail (≤ 8000)', (n) => append('mitigation.finished', { mitigationId: uuid(3), result: 'failed', detail: 'x'.repeat(n) }), Limits.detailLength,
        'event.data.detail: must be at most 8000 characters'],
      ['action title', (n) => append('action.added', { title: 'x'.repeat(n) }), Limits.titleLength, 'event.data.title: must be at most 200 characters'],
      ['requestId (1–64)', (n) => ({ type: 'ping', requestId: 'r'.repeat(n) }), Limits.requestIdLength, 'requestId: must be at most 64 characters'],
    ];
    for (const [what, build, limit, error] of limitCases) {
      it(`${what}: ${limit} passes, ${limit + 1} is refused`, () => {
        ok(client(build(limit)));
        assert.equal(refused(client(build(limit + 1))), error);
      });
    }

    it('snippet: 16 KiB of UTF-8 bytes passes, one byte more is refused (counted in bytes, not characters)', () => {
      const source = (snippet: string) => append('note.added', { text: 'x', tag: 'fact', source: { path: 'a.ts', startLine: 1, endLine: 1, snippet } });
      ok(client(source('a'.repeat(Limits.snippetBytes))));
      ok(client(source('é'.repeat(Limits.snippetBytes / 2))));
      assert.equal(refused(client(source(`${'é'.repeat(Limits.snippetBytes / 2)}a`))), 'event.data.source.snippet: must be at most 16384 bytes');
      assert.equal(refused(client(source('a'.repeat(Limits.snippetBytes + 1)))), 'event.data.source.snippet: must be at most 16384 bytes');
    });
  });

  describe('__proto__ keys', () => {
    it('do not pollute Object.prototype nor reach the parsed message', () => {
      const raw = `{"type":"append","requestId":"r","incidentId":"INC-1","__proto__":{"polluted":1},"event":{"id":"${ID}","kind":"note.added","at":"${AT}",`
        + '"data":{"text":"x","tag":"note","__proto__":{"isAdmin":true},"constructor":{"prototype":{"polluted2":1}}}}}';
      const m = ok(parseClientMessage(raw));
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(({} as Record<string, unknown>).polluted2, undefined);
      assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
      assert.equal(Object.getPrototypeOf(m), Object.prototype);
      assert.equal((m as unknown as Record<string, unknown>).polluted, undefined);
      assert.ok(m.type === 'append');
      assert.equal(Object.getPrototypeOf(m.event.data), Object.prototype);
      assert.equal((m.event.data as Record<string, unknown>).isAdmin, undefined);
      assert.deepEqual(Object.keys(m.event.data).sort(), ['tag', 'text']);
    });
  });

  describe('parseServerMessage accepts every server message', () => {
    const summary = { id: 'INC-7', title: 'Checkout 5xx', severity: 'SEV2', status: 'mitigating', declaredAt: AT, commander: ALICE, headSeq: 43 };
    const events = randomLog(7, 200, 'INC-7');
    const serverCases: [string, unknown][] = [
      ['welcome', { type: 'welcome', protocol: 1, channel: 'payments-oncall', serverTime: AT, incidents: [summary, { ...summary, id: 'INC-8', commander: null }] }],
      ['events (a reply to subscribe, with every kind)', { type: 'events', incidentId: 'INC-7', events, headSeq: events.length }],
      ['events (empty)', { type: 'events', incidentId: 'INC-7', events: [], headSeq: 0 }],
      ['events with seqs lost to storage damage', { type: 'events', incidentId: 'INC-7', events: events.slice(0, 4), headSeq: 9, lost: [{ fromSeq: 5, toSeq: 9, reason: 'storage_damage' }] }],
      ['events that are only a lost range, for a reason this build does not know', { type: 'events', incidentId: 'INC-7', events: [], headSeq: 3, lost: [{ fromSeq: 3, toSeq: 3, reason: 'retention' }] }],
      ['declared', { type: 'declared', requestId: 'r1', incidentId: 'INC-8', seq: 1 }],
      ['ack', { type: 'ack', requestId: 'r2', incidentId: 'INC-7', eventId: ID, seq: 43, duplicate: false }],
      ['ack of a duplicate', { type: 'ack', requestId: 'r2', incidentId: 'INC-7', eventId: ID, seq: 12, duplicate: true }],
      ['event', { type: 'event', incidentId: 'INC-7', event: events[3] }],
      ['incident', { type: 'incident', summary }],
      ['incidents', { type: 'incidents', requestId: 'r3', items: [summary] }],
      ['pong', { type: 'pong', requestId: 'r4', serverTime: AT }],
      ['error', { type: 'error', requestId: 'r2', code: 'invalid_message', message: 'event.data.severity: expected SEV1|SEV2|SEV3|SEV4' }],
      ['error without requestId', { type: 'error', code: 'rate_limited', message: 'slow down' }],
    ];
    for (const [what, message] of serverCases) {
      it(what, () => assert.deepEqual(ok(server(message)), message));
    }

    it('the generated log holds every event kind', () => {
      assert.deepEqual([...new Set(events.map((e) => e.kind))].sort(), [...EVENT_KINDS].sort());
    });

    const serverRefusals: [string, unknown, string][] = [
      ['an unknown type', { type: 'hello' }, 'type: expected welcome|events|declared|ack|event|incident|incidents|pong|error|presence|signal|signals|signalDigest'],
      ['an unknown error code', { type: 'error', code: 'oops', message: 'x' }, 'code: expected invalid_message|unknown_incident|rate_limited|too_large|forbidden|internal'],
      ['a bad channel', { type: 'welcome', protocol: 1, channel: 'Payments_OnCall', serverTime: AT, incidents: [] },
        'channel: expected a channel name: lowercase letters, digits and dashes, at most 63'],
      ['seq 0 in an event', { type: 'event', incidentId: 'INC-7', event: { ...events[1], seq: 0 } }, 'event.seq: must be at least 1'],
      ['an event without actor', { type: 'event', incidentId: 'INC-7', event: { ...events[1], actor: undefined } }, 'event.actor: required (expected object)'],
      ['a bad kind inside a batch', { type: 'events', incidentId: 'INC-7', headSeq: 2, events: [events[0], { ...events[1], kind: 'nope' }] },
        'events[1].kind: expected incident.declared|incident.updated|severity.changed|status.changed|role.assigned|note.added|note.retagged|deploy.flagged|mitigation.started|mitigation.finished|update.posted|action.added|action.updated|triage.recorded|signal.linked|signal.resolved|escalation.requested|mitigation.assessed|workstream.opened|workstream.updated|resolution.checked|terminal.command'],
      ['a lost range that ends before it starts', { type: 'events', incidentId: 'INC-7', events: [], headSeq: 9, lost: [{ fromSeq: 5, toSeq: 4, reason: 'storage_damage' }] },
        'lost[0].toSeq: toSeq must not be below fromSeq'],
      ['a lost range from seq 0', { type: 'events', incidentId: 'INC-7', events: [], headSeq: 9, lost: [{ fromSeq: 0, toSeq: 4, reason: 'storage_damage' }] },
        'lost[0].fromSeq: must be at least 1'],
      ['a bad severity inside a summary', { type: 'incidents', requestId: 'r', items: [{ ...summary, severity: 'P1' }] }, 'items[0].severity: expected SEV1|SEV2|SEV3|SEV4'],
      ['a bad serverTime', { type: 'pong', requestId: 'r', serverTime: 'now' }, 'serverTime: expected an ISO-8601 time with a zone, like 2026-11-22T14:04:00.000Z'],
    ];
    for (const [what, message, error] of serverRefusals) {
      it(`refuses ${what}`, () => assert.equal(refused(server(message)), error));
    }
  });
});
