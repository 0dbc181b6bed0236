// Nothing a user typed renders as markup: every user string of the sidebar (titles, notes, names, alert labels,
// the repo's catalog, the server's error text) goes through `h()` as text. These tests feed hostile strings
// everywhere one goes and look at the DOM that results: no element and no attribute is made from them, and each
// reads back exactly as typed.
import assert from 'node:assert/strict';
import { openSidebar, type Sidebar } from './sidebarDom';
import { signal } from './sidebarStates';
import type { SidebarState } from '../../../src/protocol/webviewMessages';
import type { User } from '../../../src/protocol/events';
import { SidebarState as SidebarStateSchema } from '../../../src/protocol/webviewMessages';
import { fold } from '../../../src/core/reducer';
import { incidentView } from '../../../src/core/sidebarModel';
import { signalViews } from '../../../src/core/signals';
import { h } from '../../../src/webview/dom';
import { Script, uuid } from '../core/eventBuilder';

/** Markup, an attribute break-out and VS Code's codicon syntax, after a tag naming where it went. */
const evil = (where: string): string => `${where}<img src=x onerror=alert(1)><script>alert(2)</script>"><b>$(alert)`;
/** Elements the payloads would make if any were parsed as HTML. */
const INJECTED = 'img, script, b';
/** The attributes the sidebar sets; any other (an `onerror`, a `src`) was made from a payload. */
const ATTRIBUTES = new Set([
  'id', 'class', 'title', 'role', 'hidden', 'disabled', 'tabindex', 'type', 'value', 'placeholder', 'maxlength',
  'aria-hidden', 'aria-label', 'aria-expanded', 'aria-disabled',
  'data-testid', 'data-seq', 'data-role', 'data-id', 'data-fingerprint', 'data-workstream', 'data-mitigation-id', 'data-kind',
]);

const person = (key: string): User => ({ id: `${key}@example.com`, name: evil(`name-${key}`) });

/** An incident whose every user-written field is hostile, built from events through the core as the host does. */
function hostileState(): { state: SidebarState; typed: string[]; tooltips: string[] } {
  const [alice, bob, carol, frank] = [person('alice'), person('bob'), person('carol'), person('frank')];
  const s = new Script('INC-9', '2026-11-22T14:00:00.000Z');
  s.declare({ title: evil('title'), symptom: evil('symptom'), scope: evil('scope') }, { at: 1, by: alice });
  s.add('role.assigned', { role: 'tech_lead', user: bob, note: evil('role-note') }, { at: 2, by: alice });
  s.add('note.added', { text: evil('fact'), tag: 'fact', source: { path: evil('path'), startLine: 3, endLine: 9 } }, { at: 3, by: carol });
  s.add('note.added', { text: evil('guess'), tag: 'guess' }, { at: 4, by: carol });
  const refuted = s.add('note.added', { text: evil('refuted'), tag: 'guess' }, { at: 4, by: carol });
  s.add('note.retagged', { noteId: refuted.id, tag: 'refuted' }, { at: 5, by: bob });
  s.add('deploy.flagged', { ref: evil('ref'), sha: 'abc1234def5678', reason: evil('flag-reason') }, { at: 6, by: bob });
  s.add('triage.recorded', {
    users: { share: 'some', text: evil('users'), count: 10 }, regions: [evil('region')], routes: [evil('route')], tenants: [evil('tenant')], trend: 'growing',
    customer: { level: 'confirmed', evidence: evil('evidence') }, financial: { level: 'none' }, dataIntegrity: { level: 'none' }, note: evil('triage-note'),
  }, { at: 7, by: carol });
  s.add('severity.changed', { severity: 'SEV1', reason: evil('sev-reason') }, { at: 8, by: alice });
  s.add('status.changed', { status: 'mitigating', note: evil('status-note') }, { at: 9, by: alice });
  s.add('workstream.opened', { workstreamId: uuid(77), title: evil('workstream'), owner: bob, kind: 'mitigate' }, { at: 10, by: alice });
  s.add('mitigation.started', { mitigationId: uuid(88), action: 'rollback', description: evil('mitigation'), command: evil('command') }, { at: 11, by: bob });
  s.add('mitigation.finished', { mitigationId: uuid(88), result: 'succeeded', detail: evil('detail') }, { at: 12, by: bob });
  s.add('mitigation.assessed', { mitigationId: uuid(88), assessment: 'worse', evidence: evil('assessment') }, { at: 13, by: bob });
  s.add('update.posted', { audience: 'internal', text: evil('update') }, { at: 14, by: alice });
  s.add('action.added', { title: evil('action'), owner: frank, due: '2026-11-30' }, { at: 15, by: alice });
  const now = Date.parse(s.time(16));
  const incident = incidentView(fold(s.incidentId, s.events), bob, now);
  const state = SidebarStateSchema.parse({
    connection: { status: 'connecting', text: evil('connection'), queued: 0, mode: 'shared' },
    me: bob,
    incident,
    otherIncidents: [{ id: 'INC-8', title: evil('other-title'), severity: 'SEV3', status: 'investigating' }],
    pendingDeclarations: 0,
    rejected: 1,
    trusted: true,
    present: [{ id: bob.id, name: bob.name, me: true, idleMinutes: 0, windows: 1 }, { id: carol.id, name: carol.name, me: false, idleMinutes: 30, windows: 1 }],
    signals: signalViews([
      signal({ incidentId: null, labels: { alertname: evil('alertname'), severity: evil('sev-label'), service: evil('label') }, annotations: { summary: evil('summary') } }),
    ]),
    prepared: {
      entries: [{ id: 'flag', title: evil('prepared'), kind: evil('kind'), risk: 'low', caution: evil('caution'), services: [evil('service')], watch: evil('watch') }],
      hidden: 0, services: [evil('for-service')], problems: [evil('problem')],
    },
  });
  const typed = [
    'title', 'symptom', 'scope', 'role-note', 'fact', 'path', 'guess', 'refuted', 'ref', 'flag-reason', 'users', 'region', 'route', 'tenant', 'triage-note',
    'sev-reason', 'status-note', 'workstream', 'mitigation', 'command', 'detail', 'assessment', 'update', 'action',
    'name-alice', 'name-bob', 'name-carol', 'name-frank', 'connection', 'alertname', 'sev-label', 'label', 'summary',
    'prepared', 'kind', 'caution', 'service', 'for-service', 'problem',
  ];
  return { state, typed: typed.map(evil), tooltips: ['evidence', 'watch'].map(evil) };
}

/** Every text node under `root`, as the user reads them. */
function textNodes(root: Node): string[] {
  const out: string[] = [];
  const walk = (n: Node): void => {
    if (n.nodeType === 3) out.push(n.textContent ?? '');
    n.childNodes.forEach(walk);
  };
  walk(root);
  return out;
}

function assertInert(sidebar: Sidebar, where: string): void {
  const all = [...sidebar.root.querySelectorAll('*')];
  assert.deepEqual([...sidebar.root.querySelectorAll(INJECTED)].map((e) => e.outerHTML), [], `${where}: no element made from a user string`);
  const strange = all.flatMap((e) => [...e.attributes].filter((a) => !ATTRIBUTES.has(a.name)).map((a) => `<${e.tagName.toLowerCase()} ${a.name}="${a.value}">`));
  assert.deepEqual(strange, [], `${where}: no attribute made from a user string`);
  // An attribute that holds part of a payload holds all of it: the quote did not end the attribute.
  const cut = all.flatMap((e) => [...e.attributes].filter((a) => a.value.includes('<img') && !a.value.includes('"><b>$(alert)')).map((a) => `${a.name}="${a.value}"`));
  assert.deepEqual(cut, [], `${where}: attributes hold the whole string`);
  // VS Code's `$(name)` label syntax means nothing in the webview: no codicon made from it.
  assert.equal(sidebar.root.querySelectorAll('.codicon-alert').length, 0);
}

describe('webview/dom: user strings render as text, never as markup', () => {
  let sidebar: Sidebar;
  before(() => { sidebar = openSidebar(); });
  after(async () => { await sidebar.close(); });

  it('h() puts a string child in one text node and an attribute value verbatim', () => {
    const payload = evil('h');
    const el = h('span', { title: payload, 'data-x': payload }, payload, 'second');
    assert.equal(el.childNodes.length, 2);
    assert.equal(el.firstChild?.nodeType, 3, 'a text node');
    assert.equal(el.firstChild?.textContent, payload);
    assert.equal(el.children.length, 0, 'no element inside');
    assert.equal(el.getAttribute('title'), payload);
    assert.equal(el.getAttribute('data-x'), payload);
    assert.equal(el.attributes.length, 2);
  });

  it('every user string of an incident reads back exactly as typed, and nothing is made from it', () => {
    const { state, typed, tooltips } = hostileState();
    sidebar.state(state);
    assertInert(sidebar, 'incident');
    const texts = textNodes(sidebar.root);
    const missing = typed.filter((p) => !texts.some((t) => t.includes(p)));
    assert.deepEqual(missing, [], 'each user string is in a text node, whole');
    const titles = [...sidebar.root.querySelectorAll('[title]')].map((e) => e.getAttribute('title') ?? '');
    assert.deepEqual(tooltips.filter((p) => !titles.some((t) => t.includes(p))), [], 'tooltips hold them whole too');
    // Where the whole value is the string, the element's text is exactly it.
    const exact: [string, string][] = [
      ['[data-testid="incident-title"]', evil('title')], ['.symptom', evil('symptom')], ['.ws-title', evil('workstream')],
      ['.action-title', evil('action')], ['.signal-name', evil('alertname')], ['.signal-summary', evil('summary')],
      ['.prepared-title', evil('prepared')], ['.triage-note', evil('triage-note')], ['.connection-text', evil('connection')],
    ];
    for (const [selector, payload] of exact) assert.equal(sidebar.root.querySelector(selector)?.textContent, payload, selector);
    assert.deepEqual([...sidebar.root.querySelectorAll('.note-text')].map((n) => n.textContent), [evil('fact'), evil('guess'), evil('refuted')]);
  });

  it('stays inert through the row interactions: an unfolded entry, the answer form with its typed evidence', () => {
    const { state } = hostileState();
    sidebar.state(state);
    for (const more of sidebar.root.querySelectorAll<HTMLElement>('button.fold')) more.click();
    const row = sidebar.root.querySelector('[data-testid="mitigation-row"]') as HTMLElement;
    (row.querySelector('[data-testid="mitigation-assessment"] button') as HTMLElement).click(); // Change
    (sidebar.root.querySelector('[data-testid="assess-no_change"]') as HTMLElement).click();
    const input = sidebar.root.querySelector('[data-testid="assess-evidence"]') as HTMLInputElement;
    input.value = evil('typed');
    input.dispatchEvent(new sidebar.document.defaultView!.Event('input'));
    sidebar.state(state); // a teammate's event: the row is rebuilt with what was typed
    const kept = sidebar.root.querySelector('[data-testid="assess-evidence"]') as HTMLInputElement;
    assert.equal(kept.value, evil('typed'));
    assert.match(kept.getAttribute('aria-label') ?? '', /^Evidence that mitigation<img/);
    assertInert(sidebar, 'after interactions');
    const from = sidebar.posted.length;
    (sidebar.root.querySelector('[data-testid="assess-record"]') as HTMLElement).click();
    const sent = sidebar.posted.slice(from)[0];
    assert.ok(sent?.type === 'command');
    assert.deepEqual(sent.args, { mitigationId: uuid(88), assessment: 'no_change', evidence: evil('typed') }, 'sent to the host as typed');
  });

  it('the welcome: my name and the channel\'s other incidents', () => {
    const { state } = hostileState();
    sidebar.state({ ...state, incident: null, otherIncidents: [{ id: 'INC-8', title: evil('other-title'), severity: 'SEV3', status: 'investigating' }] });
    assertInert(sidebar, 'welcome');
    assert.equal(sidebar.root.querySelector('.welcome strong')?.textContent, evil('name-bob'));
    assert.ok(textNodes(sidebar.root).some((t) => t.includes(evil('other-title'))));
  });
});
