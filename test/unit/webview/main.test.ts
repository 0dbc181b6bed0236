import assert from 'node:assert/strict';
import { openSidebar, type Sidebar } from './sidebarDom';
import { midIncidentState, MID_NOW, OTHER_FINGERPRINT, RESOLVED_NOW, resolvedState, welcomeState } from './sidebarStates';
import { ALERT_FINGERPRINT, ROLLBACK_REVERT } from '../core/scriptedIncident';
import type { TimelineEntryView } from '../../../src/protocol/webviewMessages';

/** What a reader sees of an element: its text nodes apart (a button beside a label), runs of whitespace as one space. */
function text(el: Element | null | undefined): string {
  if (!el) return '';
  const parts: string[] = [];
  const walk = (n: Node): void => {
    if (n.nodeType === 3) parts.push(n.textContent ?? '');
    else n.childNodes.forEach(walk);
  };
  walk(el);
  return parts.join(' ').replace(/\s+/g, ' ').trim();
}

describe('webview/main: the sidebar rendered from the host\'s state', () => {
  let sidebar: Sidebar;
  const $ = (selector: string): HTMLElement | null => sidebar.root.querySelector(selector);
  const $$ = (selector: string): HTMLElement[] => [...sidebar.root.querySelectorAll<HTMLElement>(selector)];
  const byTestId = (id: string) => $$(`[data-testid="${id}"]`);
  /** The section whose heading reads `title` (the heading's text starts with it). */
  const section = (title: string): HTMLElement => {
    const found = $$('section').find((s) => text(s.querySelector('h2')).startsWith(title));
    assert.ok(found, `a section headed "${title}" (have: ${$$('section h2').map((h) => text(h)).join(' | ')})`);
    return found;
  };
  const button = (within: Element, label: string): HTMLButtonElement => {
    const found = [...within.querySelectorAll('button')].find((b) => text(b) === label);
    assert.ok(found, `a "${label}" button (have: ${[...within.querySelectorAll('button')].map((b) => text(b)).join(' | ')})`);
    return found;
  };

  before(() => { sidebar = openSidebar(); });
  after(async () => { await sidebar.close(); });
  afterEach(() => { sidebar.setNow(undefined); });

  it('says it is ready, and acts only on the host\'s typed messages', () => {
    assert.deepEqual(sidebar.posted[0], { type: 'ready' });
    sidebar.raw({ type: 'state', state: { incident: 'not a state' } });
    sidebar.raw('<img src=x onerror=alert(1)>');
    assert.equal(sidebar.root.childElementCount, 0, 'nothing rendered from a malformed message');
  });

  describe('an incident in progress (INC-7 as its Tech Lead sees it)', () => {
    before(() => {
      sidebar.setNow(MID_NOW);
      sidebar.state(midIncidentState());
      sidebar.tick();
    });
    beforeEach(() => sidebar.setNow(MID_NOW));

    it('the card: severity, the triage\'s suggestion, status, title, symptom, scope, my role, the next update', () => {
      const card = byTestId('incident-card')[0];
      assert.ok(card);
      assert.equal(text(byTestId('incident-severity')[0]), 'SEV1');
      assert.equal(byTestId('incident-severity')[0]?.title, 'Critical');
      assert.equal(text(byTestId('severity-suggestion')[0]), 'suggests SEV2');
      assert.equal(text(byTestId('incident-status')[0]), 'monitoring');
      assert.equal(text(byTestId('incident-title')[0]), 'Checkout 5xx after deploy');
      assert.equal(text(card.querySelector('.symptom')), 'Checkout API returns HTTP 500 for ~30% of requests');
      assert.match(text(card), /Scope: EU checkout \| payments API/);
      assert.equal(text(byTestId('my-role')[0]), 'You: Tech Lead');
      // Detected 22:48, now 23:20; the last update was posted 23:03 and SEV1 wants one every 15 minutes.
      assert.equal(text(byTestId('incident-elapsed')[0]), '32m');
      assert.equal(text(byTestId('update-due')[0]), 'update overdue 2m');
      assert.ok(byTestId('update-due')[0]?.classList.contains('overdue'));
      sidebar.setNow(MID_NOW - 5 * 60_000);
      sidebar.tick();
      assert.equal(text(byTestId('update-due')[0]), 'update in 3m');
      assert.ok(!byTestId('update-due')[0]?.classList.contains('overdue'), 'not marked overdue before it is');
    });

    it('Post update is the card\'s action; the triage\'s Change severity and Re-triage ask the host', () => {
      const from = sidebar.posted.length;
      button(byTestId('needs-me')[0]!, 'Post update').click();
      button(section('Triage'), 'Change severity').click();
      button(section('Triage'), 'Re-triage').click();
      assert.deepEqual(sidebar.commands(from), [
        { command: 'incidentRoom.postUpdate' }, { command: 'incidentRoom.changeSeverity' }, { command: 'incidentRoom.triage' },
      ]);
    });

    it('firing alerts: the one linked here says so, the other offers Declare and Attach; links open through the host', () => {
      const signals = byTestId('signal');
      assert.equal(text(byTestId('signals')[0]?.querySelector('h2')), 'Firing (2)');
      assert.deepEqual(signals.map((s) => s.dataset.fingerprint), [ALERT_FINGERPRINT, OTHER_FINGERPRINT]);
      const [linked, other] = signals as [HTMLElement, HTMLElement];
      assert.equal(text(linked.querySelector('.signal-name')), 'CheckoutHighErrorRate');
      assert.equal(text(linked.querySelector('.sev')), 'SEV1');
      assert.equal(text(linked.querySelector('.signal-summary')), 'Checkout 5xx ratio above 5%');
      assert.equal(text(linked.querySelector('.signal-where')), 'service=checkout, region=eu-west-1');
      assert.equal(text(linked.querySelector('[data-testid="signal-linked"]')), 'linked to INC-7');
      assert.equal(linked.querySelector('[data-testid="signal-declare"]'), null, 'no Declare on the alert already linked here');
      assert.equal(text(other.querySelector('.sev')), 'SEV3');
      const from = sidebar.posted.length;
      (other.querySelector('[data-testid="signal-attach"]') as HTMLElement).click();
      (other.querySelector('[data-testid="signal-declare"]') as HTMLElement).click();
      button(linked, 'Runbook').click();
      assert.deepEqual(sidebar.posted.slice(from), [
        { type: 'command', command: 'incidentRoom.attachSignal', args: { fingerprint: OTHER_FINGERPRINT } },
        { type: 'command', command: 'incidentRoom.declareFromSignal', args: { fingerprint: OTHER_FINGERPRINT } },
        { type: 'openSignalLink', fingerprint: ALERT_FINGERPRINT, link: 'Runbook' },
      ]);
    });

    it('triage: who, where, the trend and each impact with its level, by whom', () => {
      const triage = byTestId('triage')[0]!;
      const cells = [...triage.querySelectorAll('.triage-grid > span')].map((c) => text(c));
      assert.deepEqual(cells, [
        'Who', 'Few users · ~120 · EU card payers retrying', 'Where', 'eu-west-1, /checkout/pay, tenant acme-eu', 'Trend', 'shrinking',
        'Impact', 'Customer confirmed Financial confirmed Data integrity suspected',
      ]);
      const impacts = byTestId('triage-impact');
      assert.deepEqual(impacts.map((i) => [i.dataset.kind, i.className]), [
        ['customer', 'impact lvl-confirmed'], ['financial', 'impact lvl-confirmed'], ['dataIntegrity', 'impact lvl-suspected'],
      ]);
      assert.equal(impacts[2]?.title, 'Data integrity impact suspected: 12 payments may have been captured twice');
      assert.equal(text(triage.querySelector('.triage-note')), 'Finance on-call told');
      assert.match(text(triage.querySelector('.triage-meta')), /^Recorded (Nov 22 )?\d\d:\d\d by Carol Chen · 1 earlier on the timeline$/);
      assert.match(text(byTestId('triage-suggestion')[0]), /^SEV2 suggested: financial impact confirmed; data integrity impact suspected \(current SEV1\)/);
    });

    it('roles: each holder, mine to hand off, someone\'s to take, a vacant seat to take or assign; who is here', () => {
      const rows = byTestId('role-row');
      assert.deepEqual(rows.map((r) => [r.dataset.role, text(r.querySelector('.role-name')), text(r.querySelector('.holder')), text(r.querySelector('.row-actions'))]), [
        ['commander', 'Commander', 'Erin Evans', 'Take'],
        ['tech_lead', 'Tech Lead', 'Bob Baker (you)', 'Hand off'],
        ['communications', 'Communications', 'Dave Diaz', 'Take'],
        ['scribe', 'Scribe', 'unassigned', 'Take Assign'],
      ]);
      assert.ok(rows[1]?.classList.contains('mine'));
      const from = sidebar.posted.length;
      button(rows[1]!, 'Hand off').click();
      button(rows[3]!, 'Assign').click();
      button(rows[0]!, 'Take').click();
      assert.deepEqual(sidebar.commands(from), [
        { command: 'incidentRoom.handOffRole', args: { role: 'tech_lead' } },
        { command: 'incidentRoom.assignRole', args: { role: 'scribe' } },
        { command: 'incidentRoom.takeRole', args: { role: 'commander' } },
      ]);
      assert.equal(text(byTestId('presence')[0]), 'Here now: Bob Baker (you) · Carol Chen (idle 14m) · Alice Archer');
      assert.equal(byTestId('presence')[0]?.querySelectorAll('.person')[2]?.getAttribute('title'), 'Alice Archer <alice@example.com> in 2 windows');
    });

    it('workstreams: mine first with its owner, Done and Reassign on each row, Open in the heading', () => {
      const rows = byTestId('workstream');
      assert.equal(text(byTestId('workstreams')[0]?.querySelector('h2')), 'Workstreams (2) Open');
      assert.deepEqual(rows.map((r) => [text(r.querySelector('.ws-title')), text(r.querySelector('.ws-owner')), r.classList.contains('mine')]), [
        ['Roll back v2.14.0', 'Bob Baker (you)', true],
        ['Tell payments partners', 'Alice Archer', false],
      ]);
      const from = sidebar.posted.length;
      button(rows[1]!, 'Reassign').click();
      button(rows[0]!, 'Done').click();
      byTestId('open-workstream')[0]!.click();
      assert.deepEqual(sidebar.commands(from), [
        { command: 'incidentRoom.updateWorkstream', args: { workstreamId: rows[1]!.dataset.workstream, action: 'reassign' } },
        { command: 'incidentRoom.updateWorkstream', args: { workstreamId: rows[0]!.dataset.workstream, action: 'done' } },
        { command: 'incidentRoom.openWorkstream' },
      ]);
    });

    it('facts, the open guess (to confirm or refute) and the refuted one', () => {
      const notes = section('Facts and guesses');
      assert.deepEqual([...notes.querySelectorAll('li')].map((li) => [li.className, text(li.querySelector('.note-text'))]), [
        ['fact', 'Connection pool usage is at 20%'],
        ['fact', 'Error rate jumped at 22:41, right after v2.14.0 rolled out'],
        ['guess', 'Retries from the app triple the load'],
        ['refuted', 'Database connection pool exhausted'],
      ]);
      const guess = notes.querySelector('li.guess')!;
      const from = sidebar.posted.length;
      button(guess, 'Refute').click();
      const posted = sidebar.commands(from);
      assert.equal(posted.length, 1);
      assert.equal(posted[0]?.command, 'incidentRoom.retagNote');
      assert.equal((posted[0]?.args as { tag: string }).tag, 'refuted');
    });

    it('mitigations newest first with their outcome and answer; the one answered "too early" asks again', () => {
      const rows = byTestId('mitigation-row');
      assert.deepEqual(rows.map((r) => [text(r.querySelector('.mit-text')), r.className]), [
        ['Revert the v2.14.0 commits · succeeded', 'mit succeeded'],
        ['Roll back the image to v2.13.2 · failed', 'mit failed'],
      ]);
      assert.match(text(rows[0]!.querySelector('[data-testid="mitigation-assessment"]')), /^Too early to tell — One minute of data · Bob Baker · asking again (Nov 22 )?\d\d:\d\d$/);
      assert.equal(text(rows[1]!.querySelector('[data-testid="mitigation-assessment"]')), 'No change — Error rate still 30% · Bob Baker Change');
      assert.equal(text(rows[0]!.querySelector('[data-testid="assess-ask"]')), 'Did it help? Helped No change Worse Too early');
      assert.equal(rows[1]!.querySelector('[data-testid="assess-ask"]'), null, 'an answered mitigation does not ask');
    });

    it('answering "did it help?" on the row: pick, type the evidence, Record sends both', () => {
      const row = () => byTestId('mitigation-row')[0]!;
      (row().querySelector('[data-testid="assess-helped"]') as HTMLElement).click();
      const input = row().querySelector('[data-testid="assess-evidence"]') as HTMLInputElement;
      assert.ok(input, 'the evidence line replaces the four answers');
      assert.equal(text(row().querySelector('.assess-q')), 'Helped:');
      input.value = '  5xx back to 0.1%  ';
      input.dispatchEvent(new sidebar.document.defaultView!.Event('input'));
      // A teammate's event re-renders the whole sidebar: what is being typed stays.
      sidebar.state(midIncidentState());
      const again = row().querySelector('[data-testid="assess-evidence"]') as HTMLInputElement;
      assert.equal(again.value, '  5xx back to 0.1%  ');
      const from = sidebar.posted.length;
      (row().querySelector('[data-testid="assess-record"]') as HTMLElement).click();
      assert.deepEqual(sidebar.commands(from), [
        { command: 'incidentRoom.assessMitigation', args: { mitigationId: ROLLBACK_REVERT, assessment: 'helped', evidence: '5xx back to 0.1%' } },
      ]);
      sidebar.state(midIncidentState());
      assert.ok(row().querySelector('[data-testid="assess-ask"]'), 'after Record the row asks until the answer arrives');
    });

    it('prepared mitigations lowest risk first, each with Run; Roll back beside them', () => {
      const prepared = byTestId('prepared-mitigations')[0]!;
      assert.equal(text(prepared.querySelector('h3')), 'Prepared for checkout · lowest risk first');
      assert.deepEqual(byTestId('prepared-row').map((r) => [r.dataset.id, text(r.querySelector('.risk')), text(r.querySelector('.prepared-title')), text(r.querySelector('.prepared-meta'))]), [
        ['flag-v3-client', 'low', 'Turn off the v3 payment client', 'feature-flag · checkout — EU cards fall back to v2'],
        ['restart-gateway', 'high', 'Restart the payment gateway pods', 'restart · checkout, payments — Drops in-flight payments'],
      ]);
      assert.match(text(prepared), /1 more for other services/);
      const from = sidebar.posted.length;
      (byTestId('prepared-row')[1]!.querySelector('[data-testid="prepared-run"]') as HTMLElement).click();
      button(section('Mitigations'), 'Roll back').click();
      assert.deepEqual(sidebar.commands(from), [
        { command: 'incidentRoom.runMitigation', args: { id: 'restart-gateway' } }, { command: 'incidentRoom.rollback' },
      ]);
    });

    it('in Restricted Mode, Run and Roll back are there but disabled, and the sidebar says why', () => {
      sidebar.state(midIncidentState({ trusted: false }));
      const from = sidebar.posted.length;
      const run = byTestId('prepared-run')[0] as HTMLButtonElement;
      const rollback = byTestId('rollback-unavailable')[0] as HTMLButtonElement;
      assert.ok(run.disabled && rollback.disabled);
      run.click();
      rollback.click();
      assert.deepEqual(sidebar.commands(from), [], 'a disabled button runs nothing');
      assert.match(text(byTestId('rollback-untrusted-reason')[0]), /Rollback is unavailable in Restricted Mode/);
      byTestId('manage-trust')[0]!.click();
      assert.deepEqual(sidebar.commands(from), [{ command: 'workbench.trust.manage' }]);
      sidebar.state(midIncidentState());
    });

    it('suspect deploys and action items (the overdue one counted in the heading)', () => {
      assert.equal(text(section('Suspect deploys').querySelector('li')), 'v2.14.0 abc1234 — Errors began one minute after rollout');
      const actions = section('Action items');
      assert.equal(text(actions.querySelector('h2')), 'Action items (1 overdue) Add Copy');
      const item = byTestId('action-item')[0]!;
      assert.equal(item.className, 'action overdue');
      assert.equal(text(item.querySelector('.action-title')), 'Page the payments team lead');
      assert.equal(text(item.querySelector('.action-meta')), 'Frank Fox · due 2026-11-21 · overdue Edit Open as issue');
      const from = sidebar.posted.length;
      (item.querySelector('.check') as HTMLElement).click();
      const [done] = sidebar.commands(from);
      assert.equal(done?.command, 'incidentRoom.completeActionItem');
      assert.equal((done?.args as { done: boolean }).done, true);
    });

    it('the timeline: newest first, its total in the heading, long entries folded with "more"', () => {
      const entries = byTestId('timeline-entry');
      assert.equal(text(section('Timeline').querySelector('h2')), 'Timeline (32) Note');
      assert.equal(entries.length, 32);
      assert.deepEqual(entries.slice(0, 3).map((e) => [e.dataset.seq, text(e.querySelector('.actor'))]), [['32', 'Erin Evans'], ['31', 'Carol Chen'], ['30', 'Carol Chen']]);
      assert.equal(text(entries[1]!.querySelector('.tag')), 'guess');
      assert.equal(text(entries[2]!.querySelector('.text')), 'Scribe unassigned (Going off shift)');
      // The revert's entry carries its two commands: folded to its first line until "more".
      const revert = entries.find((e) => text(e.querySelector('.text')).startsWith('Mitigation started (rollback): Revert'))!;
      const [short, full] = [revert.querySelector('.text.folded') as HTMLElement, revert.querySelector('.text.full') as HTMLElement];
      assert.equal(short.textContent, 'Mitigation started (rollback): Revert the v2.14.0 commits');
      assert.ok(full.hidden && !short.hidden);
      button(revert, 'more').click();
      assert.ok(!full.hidden && short.hidden);
      assert.equal(full.textContent, 'Mitigation started (rollback): Revert the v2.14.0 commits\ngit revert --no-edit abc1234def5678\ngit push origin HEAD:main');
      button(revert, 'less').click();
      assert.ok(full.hidden && !short.hidden);
    });

    it('a scribe note from code opens its source on click or Enter', () => {
      const note = byTestId('timeline-entry').find((e) => e.classList.contains('has-source'))!;
      assert.equal(text(note.querySelector('.source')), 'src/checkout/pay.ts:40-44');
      assert.equal(note.title, 'Open src/checkout/pay.ts:40-44');
      const from = sidebar.posted.length;
      note.click();
      note.dispatchEvent(new sidebar.document.defaultView!.KeyboardEvent('keydown', { key: 'Enter' }));
      assert.equal(sidebar.posted.slice(from).length, 2);
      assert.ok(sidebar.posted.slice(from).every((m) => m.type === 'openSource' && m.noteId.length > 0));
    });

    it('older entries are asked for as the user scrolls, and appended in order', () => {
      const base = midIncidentState();
      const all = base.incident!.timeline;
      // Another incident, long: the host sends its first page and the total.
      const other = { ...base, incident: { ...base.incident!, id: 'INC-8', timeline: all.slice(0, 10), timelineTotal: all.length } };
      let from = sidebar.posted.length;
      sidebar.state(other);
      assert.equal(byTestId('timeline-entry').length, 10);
      assert.equal(text($('.timeline .more')), '22 older entries…');
      assert.equal(sidebar.posted.slice(from).filter((m) => m.type === 'loadTimeline').length, 0, 'nothing asked before the user scrolls');
      sidebar.scrollToEnd();
      assert.deepEqual(sidebar.posted.slice(from).filter((m) => m.type === 'loadTimeline'), [{ type: 'loadTimeline', incidentId: 'INC-8', offset: 10, count: 200 }]);
      sidebar.page('INC-8', 10, all.slice(10) as TimelineEntryView[]);
      assert.deepEqual(byTestId('timeline-entry').map((e) => Number(e.dataset.seq)), all.map((e) => e.seq));
      assert.ok($('.timeline .more')?.hidden, 'nothing more to load');
      // A page for an offset no longer current is dropped, not appended twice.
      sidebar.page('INC-8', 10, all.slice(10) as TimelineEntryView[]);
      assert.equal(byTestId('timeline-entry').length, all.length);
      // The next change brings the first page again: the sidebar asks at once for what the user had scrolled to.
      from = sidebar.posted.length;
      sidebar.state(other);
      assert.deepEqual(sidebar.posted.slice(from).filter((m) => m.type === 'loadTimeline'), [{ type: 'loadTimeline', incidentId: 'INC-8', offset: 10, count: 22 }]);
      sidebar.page('INC-8', 10, all.slice(10) as TimelineEntryView[]);
      assert.equal(byTestId('timeline-entry').length, all.length);
      sidebar.state(midIncidentState());
    });
  });

  describe('a resolved incident (as its Commander sees it)', () => {
    before(() => {
      sidebar.setNow(RESOLVED_NOW);
      sidebar.state(resolvedState());
    });

    it('the card asks for the postmortem; nothing left to roll back or run', () => {
      sidebar.setNow(RESOLVED_NOW);
      sidebar.tick();
      assert.equal(text(byTestId('incident-status')[0]), 'resolved');
      assert.equal(text(byTestId('incident-title')[0]), 'Checkout 5xx after deploy v2.14.0');
      assert.equal(text(byTestId('incident-elapsed')[0]), '52m', 'detection to resolution, not to now');
      assert.equal(byTestId('update-due').length, 0);
      assert.equal(byTestId('severity-suggestion').length, 0);
      const from = sidebar.posted.length;
      button(byTestId('needs-me')[0]!, 'Write postmortem').click();
      assert.deepEqual(sidebar.commands(from), [{ command: 'incidentRoom.generatePostmortem' }]);
      assert.equal(byTestId('prepared-mitigations').length, 0);
      assert.ok(![...section('Mitigations').querySelectorAll('button')].some((b) => text(b) === 'Roll back'));
    });

    it('the mitigation that helped, and the alert that resolved after it', () => {
      const revert = byTestId('mitigation-row')[0]!;
      assert.equal(text(revert.querySelector('[data-testid="mitigation-assessment"]')), 'Helped — 5xx ratio 0.1% for 5 min · Bob Baker Change');
      assert.equal(text(revert.querySelector('[data-testid="mitigation-resolved-after"]')), 'CheckoutHighErrorRate resolved 2 min after');
    });

    it('the workstream still open (no Open once resolved) and how many closed; follow-ups with their issue', () => {
      assert.equal(text(byTestId('workstreams')[0]?.querySelector('h2')), 'Workstreams (1)');
      assert.equal(text($('.ws-closed')), '1 done or dropped (on the timeline)');
      assert.deepEqual(byTestId('action-item').map((a) => [a.className, text(a.querySelector('.action-title')), text(a.querySelector('[data-testid="action-issue"]'))]), [
        ['action', 'Check the image exists before rollback in deploy.sh', '#42'],
        ['action', 'Alert when checkout 5xx > 5% | page on-call', 'Open as issue'],
        ['action done', 'Document rollback by revert', 'Open as issue'],
      ]);
      assert.equal(text(section('Action items').querySelector('h2')), 'Action items Add Copy');
    });
  });

  describe('no incident focused, the channel down', () => {
    before(() => sidebar.state(welcomeState()));

    it('the connection bar says why, with Reconnect and the refused events', () => {
      const bar = byTestId('connection-state')[0]!;
      assert.equal(bar.className, 'connection bad');
      assert.equal(text(bar.querySelector('.connection-text')), 'Offline: connect ECONNREFUSED 127.0.0.1:7077');
      const from = sidebar.posted.length;
      byTestId('reconnect')[0]!.click();
      button(bar, '2 refused').click();
      assert.deepEqual(sidebar.commands(from), [{ command: 'incidentRoom.connect' }, { command: 'incidentRoom.showLog' }]);
    });

    it('firing alerts come first, then the welcome with Declare, who I am and the channel\'s incidents', () => {
      const top = [...sidebar.root.children].map((c) => c.getAttribute('data-testid') ?? c.className);
      assert.deepEqual(top, ['connection-state', 'signals', 'welcome']);
      assert.equal(byTestId('signal-attach').length, 0, 'nothing to attach to');
      const welcome = $('.welcome')!;
      assert.match(text(welcome), /1 declaration queued until the channel is back\./);
      assert.equal(text(welcome.querySelector('strong')), 'Alice Archer');
      assert.deepEqual([...welcome.querySelectorAll('.incident-link')].map((b) => text(b)), [
        'SEV1 INC-7 Checkout 5xx after deploy · mitigating', 'SEV3 INC-6 Search latency · investigating',
      ]);
      const from = sidebar.posted.length;
      byTestId('declare')[0]!.click();
      (welcome.querySelectorAll('.incident-link')[1] as HTMLElement).click();
      assert.deepEqual(sidebar.commands(from), [{ command: 'incidentRoom.declare' }, { command: 'incidentRoom.switchIncident', args: { incidentId: 'INC-6' } }]);
      assert.deepEqual(sidebar.saved.at(-1), {}, 'no incident kept for a reload');
    });
  });
});
