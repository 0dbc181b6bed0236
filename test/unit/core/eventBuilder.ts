// Builders for sequenced events in tests: a script with a running seq and clock, and a seeded generator of
// random valid logs for property-style tests.
import type { EventDataOf, EventKind, SequencedEvent, SequencedEventOf, User } from '../../../src/protocol/events';
import { IMPACT_LEVELS, MITIGATION_ACTIONS, NOTE_TAGS, ROLES, SEVERITIES, STATUSES, TRENDS, USER_SHARES } from '../../../src/protocol/events';

export const ALICE: User = { id: 'alice@example.com', name: 'Alice Archer' };
export const BOB: User = { id: 'bob@example.com', name: 'Bob Baker' };
export const CAROL: User = { id: 'carol@example.com', name: 'Carol Chen' };
export const DAVE: User = { id: 'dave@example.com', name: 'Dave Diaz' };
export const ERIN: User = { id: 'erin@example.com', name: 'Erin Evans' };
export const FRANK: User = { id: 'frank@example.com', name: 'Frank Fox' };
export const PEOPLE: readonly User[] = [ALICE, BOB, CAROL, DAVE, ERIN, FRANK];

/** A valid v4 UUID made from a number, so tests can name ids. */
export function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** One sequenced event with explicit metadata. */
export function sequenced<K extends EventKind>(
  kind: K,
  data: EventDataOf<K>,
  meta: { seq: number; at: string; actor?: User; id?: string; receivedAt?: string },
): SequencedEventOf<K> {
  return {
    seq: meta.seq, id: meta.id ?? uuid(1_000_000 + meta.seq), kind, at: meta.at,
    receivedAt: meta.receivedAt ?? meta.at, actor: meta.actor ?? ALICE, data,
  } as SequencedEventOf<K>;
}

/** A log under construction: each `add` takes the next seq; `at` is minutes after `start` (or the previous event's time). */
export class Script {
  readonly events: SequencedEvent[] = [];
  private seq = 0;
  private lastAt: number;
  private ids = 0;

  constructor(readonly incidentId = 'INC-7', readonly start = '2026-11-22T14:00:00.000Z') {
    this.lastAt = Date.parse(start);
  }

  /** ISO time `minutes` after the script's start. */
  time(minutes: number): string {
    return new Date(Date.parse(this.start) + minutes * 60_000).toISOString();
  }

  add<K extends EventKind>(kind: K, data: EventDataOf<K>, opts: { at?: number; by?: User; id?: string } = {}): SequencedEventOf<K> {
    const at = opts.at === undefined ? this.lastAt : Date.parse(this.time(opts.at));
    this.lastAt = at;
    const e = sequenced(kind, data, { seq: ++this.seq, at: new Date(at).toISOString(), actor: opts.by ?? ALICE, id: opts.id ?? uuid(++this.ids) });
    this.events.push(e);
    return e;
  }

  declare(data: Partial<EventDataOf<'incident.declared'>> = {}, opts: { at?: number; by?: User } = {}): SequencedEventOf<'incident.declared'> {
    return this.add('incident.declared', { title: 'Checkout 5xx', severity: 'SEV2', symptom: 'HTTP 500 on /pay', ...data }, opts);
  }
}

/** mulberry32: a tiny seeded PRNG so a failing property run can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random valid log of `length` events: `incident.declared` first, then any kind, with references to earlier
 * notes, mitigations and actions (and now and then to unknown ones, which the reducer must tolerate).
 */
export function randomLog(seed: number, length: number, incidentId = 'INC-1'): SequencedEvent[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const maybe = <T>(p: number, f: () => T): T | undefined => (rnd() < p ? f() : undefined);
  const maybeSource = () => maybe(0.3, () => {
    const startLine = 1 + Math.floor(rnd() * 50);
    return { path: 'src/a.ts', startLine, endLine: startLine + Math.floor(rnd() * 5), commit: 'abc1234', remoteUrl: 'https://example.com/a.ts#L1' };
  });
  const s = new Script(incidentId, '2026-03-29T00:30:00.000Z');
  let minute = 0;
  let nextId = 5000;
  const noteIds: string[] = [];
  const mitigationIds: string[] = [];
  const actionIds: string[] = [];
  const workstreamIds: string[] = [];
  const words = ['db', 'pool', 'cache', 'deploy', 'dns', 'lb', 'queue', 'ä|b', '*x*', '`t`'];
  const phrase = () => Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => pick(words)).join(' ');
  const opts = () => ({ at: (minute += Math.floor(rnd() * 7)), by: pick(PEOPLE) });
  const existingOr = (ids: string[]) => (ids.length > 0 && rnd() < 0.9 ? pick(ids) : uuid(nextId++));
  s.declare({ severity: pick(SEVERITIES), ...clean({ scope: maybe(0.5, phrase), detectedAt: maybe(0.5, () => s.time(-3)) }) }, opts());
  while (s.events.length < length) {
    const kind = pick(KINDS);
    switch (kind) {
      case 'incident.updated':
        s.add(kind, clean({ title: maybe(0.3, phrase), symptom: maybe(0.3, phrase), scope: maybe(0.3, phrase), impact: maybe(0.3, phrase),
          detectedAt: maybe(0.2, () => s.time(minute - 5)), impactStartedAt: maybe(0.2, () => s.time(minute - 9)) }), opts());
        break;
      case 'severity.changed': s.add(kind, clean({ severity: pick(SEVERITIES), reason: maybe(0.5, phrase) }), opts()); break;
      case 'status.changed': s.add(kind, clean({ status: pick(STATUSES), note: maybe(0.5, phrase) }), opts()); break;
      case 'role.assigned':
        s.add(kind, clean({ role: pick(ROLES), user: rnd() < 0.2 ? null : pick(PEOPLE), note: maybe(0.4, phrase) }), opts());
        break;
      case 'note.added': {
        noteIds.push(s.add(kind, clean({ text: phrase(), tag: pick(NOTE_TAGS), source: maybeSource() }), opts()).id);
        break;
      }
      case 'note.retagged': s.add(kind, { noteId: existingOr(noteIds), tag: pick([...NOTE_TAGS, 'refuted'] as const) }, opts()); break;
      case 'deploy.flagged': s.add(kind, clean({ ref: `v1.${Math.floor(rnd() * 9)}`, sha: 'deadbeef', reason: maybe(0.5, phrase) }), opts()); break;
      case 'mitigation.started': {
        const id = rnd() < 0.2 && mitigationIds.length > 0 ? pick(mitigationIds) : uuid(nextId++);
        mitigationIds.push(id);
        s.add(kind, clean({ mitigationId: id, action: pick(MITIGATION_ACTIONS), description: phrase(), command: maybe(0.3, phrase) }), opts());
        break;
      }
      case 'mitigation.finished':
        s.add(kind, clean({ mitigationId: existingOr(mitigationIds), result: pick(['succeeded', 'failed', 'cancelled'] as const), detail: maybe(0.5, phrase) }), opts());
        break;
      case 'update.posted':
        s.add(kind, clean({ audience: pick(['internal', 'external'] as const), text: phrase(), nextUpdateBy: maybe(0.3, () => s.time(minute + 20)) }), opts());
        break;
      case 'action.added':
        actionIds.push(s.add(kind, clean({
          title: phrase(), owner: maybe(0.5, () => pick(PEOPLE)), due: maybe(0.5, () => '2026-04-15'), source: maybeSource(),
        }), opts()).id);
        break;
      case 'action.updated':
        s.add(kind, clean({
          actionId: existingOr(actionIds), title: maybe(0.3, phrase),
          owner: maybe(0.3, () => (rnd() < 0.3 ? null : pick(PEOPLE))), due: maybe(0.3, () => (rnd() < 0.3 ? null : '2026-04-20')),
          done: maybe(0.5, () => rnd() < 0.7),
        }), opts());
        break;
      case 'triage.recorded': {
        const check = () => {
          const level = pick(IMPACT_LEVELS);
          return clean({ level, evidence: level === 'none' ? undefined : maybe(0.7, phrase) });
        };
        s.add(kind, clean({
          users: clean({ share: pick(USER_SHARES), text: maybe(0.5, phrase), count: maybe(0.3, () => Math.floor(rnd() * 10_000)) }),
          regions: rnd() < 0.5 ? ['eu-west-1'] : [], routes: rnd() < 0.5 ? ['/pay', '/cart'] : [], tenants: [],
          trend: pick(TRENDS), customer: check(), financial: check(), dataIntegrity: check(), note: maybe(0.2, phrase),
        }), opts());
        break;
      }
      case 'signal.linked':
        s.add(kind, clean({
          fingerprint: pick(FINGERPRINTS), alertname: pick(['HighErrorRate', 'DiskFull']), summary: maybe(0.7, phrase), startsAt: s.time(minute - 4),
          labels: maybe(0.5, () => ({ severity: pick(['critical', 'page', 'warning']), service: 'checkout' })),
          generatorURL: maybe(0.5, () => 'http://prometheus.example.com:9090/graph?g0.expr=up'),
        }), opts());
        break;
      case 'signal.resolved':
        s.add(kind, { fingerprint: pick(FINGERPRINTS), alertname: 'HighErrorRate', startsAt: s.time(minute - 9), endsAt: s.time(minute) }, opts());
        break;
      case 'escalation.requested':
        s.add(kind, { reason: phrase(), summary: phrase(), severity: pick(['critical', 'error', 'warning', 'info'] as const), dedupKey: incidentId }, opts());
        break;
      case 'mitigation.assessed':
        s.add(kind, clean({ mitigationId: existingOr(mitigationIds), assessment: pick(['helped', 'no_change', 'worse', 'too_early'] as const), evidence: maybe(0.6, phrase) }), opts());
        break;
      case 'workstream.opened':
        workstreamIds.push(s.add(kind, { workstreamId: uuid(nextId++), title: phrase(), owner: pick(PEOPLE), kind: pick(['investigate', 'mitigate', 'communicate'] as const) }, opts()).data.workstreamId);
        break;
      case 'workstream.updated':
        s.add(kind, clean({
          workstreamId: existingOr(workstreamIds), title: maybe(0.2, phrase), owner: maybe(0.3, () => pick(PEOPLE)),
          state: maybe(0.5, () => pick(['open', 'done', 'dropped'] as const)), note: maybe(0.4, phrase),
        }), opts());
        break;
      case 'terminal.command':
        s.add(kind, clean({
          commandLine: pick(['kubectl get pods', 'curl -s https://api/health', 'psql --password [redacted] -c "select 1"']),
          exitCode: rnd() < 0.1 ? null : pick([0, 0, 1, 2, 130]), durationMs: maybe(0.8, () => Math.floor(rnd() * 60_000)),
          cwd: maybe(0.7, () => '/srv/api'), terminal: maybe(0.5, () => 'bash'),
        }), opts());
        break;
      case 'resolution.checked':
        s.add(kind, clean({
          impactStopped: rnd() < 0.8, monitored: rnd() < 0.6, rootCauseKnown: rnd() < 0.5, followUpFiled: rnd() < 0.5,
          firingSignals: maybe(0.2, () => [pick(FINGERPRINTS)]), note: maybe(0.4, phrase),
        }), opts());
        break;
    }
  }
  return s.events;
}

const KINDS = [
  'incident.updated', 'severity.changed', 'status.changed', 'role.assigned', 'note.added', 'note.retagged', 'deploy.flagged',
  'mitigation.started', 'mitigation.finished', 'update.posted', 'action.added', 'action.updated', 'triage.recorded',
  'signal.linked', 'signal.resolved', 'escalation.requested', 'mitigation.assessed', 'workstream.opened', 'workstream.updated',
  'resolution.checked', 'terminal.command',
] as const satisfies readonly EventKind[];
const FINGERPRINTS = ['c6fd86708fca2138', '8be1c47367d5ea2f'];

/** Drops undefined fields, as a JSON round trip would: the wire never carries `undefined`. */
function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Freezes an object graph so a test fails if anything writes to it. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
