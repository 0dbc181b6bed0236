// The end of an incident in the real workbench: action items (overdue ones marked), resolve, and the postmortem
// opens as a Markdown document with the timeline in it.
import assert from 'node:assert/strict';
import { poll, runCommand, webviewFrame } from './codeServer.mjs';
import { addNoteThroughPalette, answer, choose, openSidebarAndDeclare } from './incidentPrompts.mjs';

export const workbench = {
  settings: { 'incidentRoom.user.id': 'morgan@example.com', 'incidentRoom.user.name': 'Morgan' },
  timeout: 120e3,
};

export const tests = {
  async 'action items show in the sidebar, overdue ones marked, and count in the status bar'({ page }) {
    const web = await openSidebarAndDeclare(page, { title: 'Search index stale for 40 minutes', severity: 'SEV3', symptom: 'results missing new products' });
    await addNoteThroughPalette(page, 'Indexer queue backed up behind a poison message', 'fact');
    await runCommand(page, 'Incident: Add Action Item', { prompts: true });
    await answer(page, 'What should be done', 'Dead-letter poison messages in the indexer');
    await answer(page, 'Owner', 'sam@example.com');
    await answer(page, 'Due date', '2020-01-15');
    const item = web.locator('[data-testid="action-item"]', { hasText: 'Dead-letter poison messages' });
    await item.waitFor({ timeout: 15e3 });
    assert.match(await item.innerText(), /sam · due 2020-01-15 · overdue/);
    const bar = page.locator('.statusbar-item', { hasText: /SEV3 INC-\d+/ }).first();
    await poll(async () => /1 overdue/.test(await bar.innerText()), { message: 'the status bar counts the overdue action item' });
  },

  async 'Post Status Update drafts the update in an editor, posts it on Post, and the timeline shows it'({ page }) {
    await runCommand(page, 'Incident: Post Status Update', { prompts: true });
    await choose(page, 'Post Status Update', 'Internal');
    // The ETA is asked before the draft (internal updates too), so the draft states it.
    await answer(page, 'When do you expect the impact to end', '45m');
    // The draft opens beside, composed from the incident: edit it there, then press Post on the notification.
    const draft = page.locator('.part.editor .view-lines').last();
    await poll(async () => (await draft.innerText()).replace(/\u00a0/g, ' ').includes('Search index stale'), { message: 'the composed draft names the incident' });
    assert.match((await draft.innerText()).replace(/\u00a0/g, ' '), /ETA: \d\d:\d\d UTC \(estimate\)\./, 'the draft states the ETA');
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'then post it' });
    await toast.waitFor({ timeout: 15e3 });
    await toast.locator('a.monaco-button, .monaco-button', { hasText: 'Post' }).first().click();
    const web = webviewFrame(page);
    const entry = web.locator('[data-testid="timeline-entry"]', { hasText: 'Internal update (ETA' }).first();
    await entry.waitFor({ timeout: 15e3 });
    assert.match(await entry.innerText(), /Search index stale/);
    assert.match(await entry.innerText(), /Internal update \(ETA \d\d:\d\d UTC\):/, 'the entry carries the ETA');
    // 45 minutes from now may be tomorrow: the card then names the day too (`ETA Dec 3 00:24 (estimate)`).
    await poll(async () => /ETA ([A-Z][a-z]{2} \d{1,2} )?\d\d:\d\d \(estimate\)/.test(await web.locator('[data-testid="incident-eta"]').innerText()), { message: 'the card shows the ETA' });
    // The next update is due a full cadence after this one (SEV3: 60 min).
    await poll(async () => /update in (59m|1h 00m)/.test(await web.locator('[data-testid="update-due"]').innerText()), { message: 'the next update is due a cadence from now' });
  },

  async 'resolve through the checklist, then Generate Postmortem opens the draft with the timeline and the analysis'({ page, screenshot }) {
    await addNoteThroughPalette(page, 'A malformed product record made the indexer retry forever', 'root-cause');
    await addNoteThroughPalette(page, 'The catalog import of 14:00 carried the malformed record', 'trigger');
    await runCommand(page, 'Incident: Set Status', { prompts: true });
    await choose(page, 'Set Status', 'resolved');
    // The checklist: one multi-select pick, what the record shows already checked (a root cause, an action item);
    // never in monitoring, so that one is not. Enter takes it as it stands.
    const widget = page.locator('.quick-input-widget');
    await widget.locator('.monaco-list-row', { hasText: 'Watched it hold in monitoring' }).waitFor({ timeout: 15e3 });
    assert.match(await widget.innerText(), /never in monitoring/);
    assert.match(await widget.innerText(), /1 root-cause note/);
    await screenshot('resolve-checklist');
    await answer(page, 'Check what holds', '');
    await answer(page, 'Why resolve anyway', 'Rebuilt the index and watched freshness in the dashboard');
    await answer(page, 'Note for', 'index rebuilt, freshness back under 1 min');
    const web = webviewFrame(page);
    await web.locator('[data-testid="incident-status"]', { hasText: 'resolved' }).waitFor({ timeout: 15e3 });
    await runCommand(page, 'Incident: Generate Postmortem');
    const tab = page.locator('.tabs-container .tab', { hasText: 'Postmortem' }).first();
    await tab.waitFor({ timeout: 20e3 });
    assert.match(await tab.innerText(), /Postmortem: INC-\d+ — Search index stale/);
    // The editor renders only what is on screen: find the timeline heading so it scrolls into view.
    await page.locator('.part.editor .view-lines').first().click();
    await page.keyboard.press('Control+f');
    await page.keyboard.type('## Timeline');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Escape');
    const text = await poll(async () => {
      // Monaco shows no-break spaces and soft-wraps long table rows.
      const t = (await page.locator('.part.editor .view-lines').first().innerText()).replace(/\u00a0/g, ' ').replace(/\s*\n/g, ' ');
      return t.includes('Timeline') && t;
    }, { message: 'the postmortem document shows its timeline' });
    // The end of the timeline and the analysis sections (the editor renders what is on screen: search each into view).
    for (const [heading, expected] of [
      ['Resolve checklist:', /Resolve checklist: impact stopped: yes; monitored: no; root cause known: yes; follow-up filed: yes — Rebuilt the index/],
      ['resolved**: index', /Status → \*\*resolved\*\*: index rebuilt/],
      ['## Resolution', /- \[ \] Watched it hold in monitoring — \*\*no\*\*/],
      ['## Trigger', /The catalog import of 14:00 carried the malformed record/],
      ['## Root-cause chain', /1\. A malformed product record made the indexer retry forever/],
    ]) {
      await page.keyboard.press('Control+f');
      await page.keyboard.type(heading);
      await page.keyboard.press('Enter');
      await page.keyboard.press('Escape');
      await poll(async () => expected.test((await page.locator('.part.editor .view-lines').first().innerText()).replace(/\u00a0/g, ' ').replace(/\s*\n/g, ' ')), { message: `the postmortem shows ${heading}` });
    }
    await screenshot('postmortem-root-cause');
    assert.match(text, /\| Morgan \| Fact: Indexer queue backed up behind a poison message \|/);
    await screenshot('postmortem');
  },
};
