// A realistic SidebarState for npm run bench:extension, built by the real core: a seeded log of valid sequenced
// events (every one checked against the protocol schema) folded by src/core/reducer.ts, turned into the sidebar's
// IncidentView by src/core/sidebarModel.ts exactly as the host does (IncidentViewProvider.snapshot), and checked
// against the SidebarState schema the webview parses on arrival.
import { tsImport } from 'tsx/esm/api';

const { fold } = await tsImport('../src/core/reducer.ts', import.meta.url);
const { incidentView } = await tsImport('../src/core/sidebarModel.ts', import.meta.url);
const { SequencedEvent } = await tsImport('../src/protocol/events.ts', import.meta.url);
const { SidebarState } = await tsImport('../src/protocol/webviewMessages.ts', import.meta.url);
// The tests' seeded PRNG, so every run renders the same incident.
const { prng } = await tsImport('../test/unit/core/eventBuilder.ts', import.meta.url);

const PEOPLE = [
  { id: 'alice@example.com', name: 'Alice Archer' }, { id: 'bob@example.com', name: 'Bob Baker' },
  { id: 'carol@example.com', name: 'Carol Chen' }, { id: 'dave@example.com', name: 'Dave Diaz' },
  { id: 'erin@example.com', name: 'Erin Evans' }, { id: 'frank@example.com', name: 'Frank Fox' },
];
export const ME = PEOPLE[2];
const WORDS = ('checkout payments api gateway latency p99 error rate 5xx timeout retry pool connection database replica '
  + 'shard cache redis eviction deploy rollout canary rollback revert config flag kafka consumer lag queue backlog dns '
  + 'tls certificate region eu-west us-east node pod restart oom memory cpu throttling grafana dashboard alert pager '
  + 'customer ticket support spike dropped recovered investigating suspect confirmed upstream vendor webhook').split(' ');
const PATHS = ['src/checkout/pay.ts', 'src/payments/client.ts', 'deploy/values-prod.yaml', 'src/db/pool.ts', 'infra/alerts.tf', 'src/api/routes/orders.ts'];

const uuid = (n) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** A log of exactly `count` valid sequenced events for one long incident (one event every ~20 s). */
export function generateEvents(count, { seed = 7, incidentId = 'INC-42' } = {}) {
  const rnd = prng(seed);
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const sentence = (min, max) => {
    const n = min + Math.floor(rnd() * (max - min + 1));
    const w = Array.from({ length: n }, () => pick(WORDS));
    w[0] = w[0][0].toUpperCase() + w[0].slice(1);
    return w.join(' ');
  };
  const start = Date.parse('2026-11-20T08:00:00.000Z');
  const events = [];
  let at = start;
  const add = (kind, data, actor = pick(PEOPLE)) => {
    at += 5_000 + Math.floor(rnd() * 30_000);
    const seq = events.length + 1;
    events.push({ seq, id: uuid(seq), kind, at: new Date(at).toISOString(), receivedAt: new Date(at + 40).toISOString(), actor, data });
    return events[events.length - 1];
  };
  add('incident.declared', {
    title: 'Checkout 5xx after payments deploy', severity: 'SEV2', symptom: 'Checkout API returns HTTP 500 for ~30% of EU requests',
    scope: 'EU checkout | payments API', detectedAt: new Date(start - 4 * 60_000).toISOString(),
  }, PEOPLE[0]);
  for (const [role, who] of [['tech_lead', 1], ['scribe', 2], ['communications', 3]]) if (events.length < count) add('role.assigned', { role, user: PEOPLE[who] }, PEOPLE[0]);

  const notes = [];
  const openMitigations = [];
  const actions = [];
  const statuses = ['investigating', 'identified', 'mitigating', 'monitoring'];
  let m = 0;
  // Rates per event, with an event every ~20 s (~180 an hour): mostly scribe notes; a status update every ~30 min,
  // a mitigation every ~hour, a few role, status and severity changes, deploys and action items.
  while (events.length < count) {
    const r = rnd();
    if (r < 0.905) {
      // Scribe notes: mostly plain notes, some facts/guesses/decisions/actions, a quarter captured from code.
      const t = rnd();
      const tag = t < 0.90 ? 'note' : t < 0.915 ? 'fact' : t < 0.93 ? 'guess' : t < 0.97 ? 'decision' : 'action';
      const data = { text: sentence(4, 40), tag };
      if (rnd() < 0.25) {
        const startLine = 1 + Math.floor(rnd() * 400);
        data.source = {
          path: pick(PATHS), startLine, endLine: startLine + Math.floor(rnd() * 12), commit: 'abc1234def5678',
          remoteUrl: `https://github.com/acme/shop/blob/abc1234def5678/src/checkout/pay.ts#L${startLine}`, snippet: sentence(3, 20),
        };
      }
      notes.push(add('note.added', data));
    } else if (r < 0.925 && notes.length) {
      add('note.retagged', { noteId: pick(notes).id, tag: pick(['fact', 'refuted', 'decision']) });
    } else if (r < 0.945) {
      add('update.posted', { audience: rnd() < 0.7 ? 'internal' : 'external', text: sentence(15, 60), nextUpdateBy: new Date(at + 30 * 60_000).toISOString() }, PEOPLE[3]);
    } else if (r < 0.95) {
      const mitigationId = uuid(1_000_000 + ++m);
      add('mitigation.started', { mitigationId, action: pick(['rollback', 'feature_flag', 'restart', 'scale']), description: sentence(4, 12), command: rnd() < 0.5 ? './deploy.sh v2.13.2' : undefined });
      openMitigations.push(mitigationId);
    } else if (r < 0.955 && openMitigations.length) {
      add('mitigation.finished', { mitigationId: openMitigations.shift(), result: pick(['succeeded', 'failed', 'cancelled']), detail: sentence(5, 25) });
    } else if (r < 0.96) {
      add('status.changed', { status: pick(statuses), note: sentence(3, 10) }, PEOPLE[0]);
    } else if (r < 0.963) {
      add('severity.changed', { severity: pick(['SEV1', 'SEV2', 'SEV3']), reason: sentence(3, 10) }, PEOPLE[0]);
    } else if (r < 0.973) {
      add('role.assigned', { role: pick(['commander', 'tech_lead', 'communications', 'scribe']), user: pick(PEOPLE), note: sentence(5, 20) });
    } else if (r < 0.975) {
      add('deploy.flagged', { ref: `v2.${Math.floor(rnd() * 40)}.0`, sha: 'abc1234def5678', subject: sentence(3, 8), reason: sentence(3, 10) });
    } else if (r < 0.98 || !actions.length) {
      actions.push(add('action.added', { title: sentence(3, 10), owner: pick(PEOPLE), due: '2026-12-01' }));
    } else if (r < 0.983) {
      add('action.updated', { actionId: pick(actions).id, done: rnd() < 0.5 });
    } else {
      notes.push(add('note.added', { text: sentence(4, 40), tag: 'note' }));
    }
  }
  for (const e of events) {
    // Drop undefined optionals (JSON would too) and prove every event is one the server could have sent.
    for (const k of Object.keys(e.data)) if (e.data[k] === undefined) delete e.data[k];
    const ok = SequencedEvent.safeParse(e);
    if (!ok.success) throw new Error(`generated an invalid ${e.kind} event: ${ok.error.issues[0]?.message}`);
  }
  return { incidentId, events, now: at + 60_000 };
}

/**
 * The SidebarState the host would post for an incident of `entries` timeline entries, and how long the host-side
 * part took (fold + incidentView, the work IncidentViewProvider.snapshot does on every change).
 */
export function sidebarState(entries, opts = {}) {
  const { incidentId, events, now } = generateEvents(entries, opts);
  const t0 = performance.now();
  const folded = fold(incidentId, events);
  const t1 = performance.now();
  const incident = incidentView(folded, ME, now);
  const t2 = performance.now();
  const state = {
    connection: { status: 'online', text: 'online · local (this machine only)', queued: 0, mode: 'local' },
    me: ME,
    incident,
    otherIncidents: [
      { id: 'INC-41', title: 'Search latency in us-east', severity: 'SEV3', status: 'monitoring' },
      { id: 'INC-40', title: 'Login emails delayed', severity: 'SEV4', status: 'resolved' },
    ],
    pendingDeclarations: 0,
    rejected: 0,
  };
  const parsed = SidebarState.safeParse(state);
  if (!parsed.success) throw new Error(`the generated SidebarState does not match the schema: ${parsed.error.issues[0]?.message}`);
  // The state carries the newest page; the rest is paged in from the host as the user scrolls.
  if (incident.timelineTotal !== entries) throw new Error(`expected ${entries} timeline entries, got ${incident.timelineTotal}`);
  return { state, now, foldMs: t1 - t0, incidentViewMs: t2 - t1 };
}
