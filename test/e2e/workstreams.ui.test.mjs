// Who owns what, and handing off, in the real workbench (#12): bringing someone into a role asks which workstream
// they will own; Open Workstream takes a title, exactly one owner and a kind; the sidebar lists the open ones, mine
// first, with Done on the row; Hand Off opens a brief written from the timeline in an editor, sends it, and then
// asks what the new holder will own. Local mode: no server configured.
import assert from 'node:assert/strict';
import { poll, runCommand, setPaneExpanded, webviewFrame } from './codeServer.mjs';
import { answer, choose, openSidebarAndDeclare } from './incidentPrompts.mjs';

export const workbench = {
  settings: { 'incidentRoom.user.id': 'jordan@example.com', 'incidentRoom.user.name': 'Jordan' },
  timeout: 150e3,
};

const SAM = { id: 'sam@example.com', name: 'Sam' };
const text = async (locator) => (await locator.innerText()).replace(/\u00a0/g, ' ');

export const tests = {
  async 'a new Scribe is asked what they will own; Open Workstream picks one owner; the sidebar lists them, mine first'({ page, screenshot }) {
    const web = await openSidebarAndDeclare(page, { title: 'Payments API 5xx in eu-west-1', severity: 'SEV1', symptom: '31% of /pay fail' });
    // Before any: the section says what a workstream is and offers to open one.
    assert.match(await text(web.locator('[data-testid="workstreams"]')), /None open/);

    // Assign Scribe to Sam (new on the incident), then say what Sam will own: a new workstream.
    await runCommand(page, 'Incident: Assign Role', { prompts: true });
    await choose(page, 'Assign Role', 'Scribe');
    await choose(page, 'Who becomes Scribe', 'Someone else');
    await answer(page, 'Their id', SAM.id);
    const dialog = page.locator('.monaco-dialog-box', { hasText: `Nobody with the id "${SAM.id}"` });
    await dialog.waitFor({ timeout: 15e3 });
    await dialog.locator('a.monaco-button, button', { hasText: 'Use This Id' }).first().click();
    await answer(page, 'Their display name', SAM.name);
    await answer(page, 'Brief for the new holder', '');
    await choose(page, 'which workstream will Sam own', 'Open a new workstream for Sam');
    await answer(page, 'What is this workstream for', 'Keep support posted every 15 minutes');
    await choose(page, 'What kind of work', 'communicate');

    // Open Workstream from the palette: title, exactly one owner (me), kind.
    await runCommand(page, 'Incident: Open Workstream', { prompts: true });
    await answer(page, 'What is this workstream for', 'Find what holds the pool connections');
    await choose(page, 'who owns', 'Jordan');
    await choose(page, 'What kind of work', 'investigate');

    const rows = web.locator('[data-testid="workstream"]');
    await poll(async () => (await rows.count()) === 2, { message: 'two workstreams in the sidebar' });
    // Mine first, though opened second; each with its one owner.
    assert.match(await text(rows.nth(0)), /Find what holds the pool connections[\s\S]*Jordan \(you\)/);
    assert.match(await text(rows.nth(1)), /Keep support posted every 15 minutes[\s\S]*Sam/);
    assert.match(await text(web.locator('[data-testid="workstreams"] h2')), /Workstreams \(2\)/i);
    await poll(async () => /Workstream \(investigate\): Find what holds the pool connections — owner Jordan/.test(await text(web.locator('[data-testid="timeline-entry"]').first())),
      { message: 'the newest timeline entry is the workstream' });
    await setPaneExpanded(page, 'Recent Deploys', false);
    await screenshot('workstreams-sidebar');

    // Done from the sidebar's row: asks for a note, then the row leaves the list.
    await rows.filter({ hasText: 'Keep support posted' }).locator('button', { hasText: 'Done' }).click();
    await answer(page, 'what came of it', 'support has the macro');
    await poll(async () => (await rows.count()) === 1, { message: 'the done workstream left the list' });
    assert.match(await text(web.locator('[data-testid="workstreams"]')), /1 done or dropped/);
  },

  async 'Hand Off writes the brief from the timeline, edited in an editor, then asks what the new holder will own'({ page, screenshot }) {
    const web = webviewFrame(page);
    await runCommand(page, 'Incident: Hand Off Role', { prompts: true });
    // I hold only Commander: no role to pick. Hand it to Sam.
    await choose(page, 'Hand Commander to', 'Sam');
    const draft = page.locator('.part.editor .view-lines').last();
    await poll(async () => /Commander of INC-\d+ \(SEV1, investigating\) handed to Sam/.test(await text(draft)), { message: 'the brief opens in an editor, written for Sam' });
    const brief = await text(draft);
    assert.match(brief, /Workstreams:\s*- Find what holds the pool connections — Jordan \(investigate\)\s*- done: Keep support posted every 15 minutes \(Sam\)/);
    assert.match(brief, /Next status update: due \d\d:\d\d UTC/);
    await screenshot('handoff-brief-draft');
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'then press Hand Off' });
    await toast.waitFor({ timeout: 15e3 });
    await toast.locator('a.monaco-button, .monaco-button', { hasText: 'Hand Off' }).first().click();
    // The role is Sam's already; then: which workstream will Sam own? Mine, handed over.
    await choose(page, 'which workstream will Sam own', 'Find what holds the pool connections');
    await poll(async () => /Sam/.test(await text(web.locator('[data-testid="role-row"][data-role="commander"]'))), { message: 'Sam is commander' });
    const handoff = web.locator('[data-testid="timeline-entry"]', { hasText: 'Commander → Sam' }).first();
    await handoff.waitFor({ timeout: 15e3 });
    assert.match(await text(handoff), /Commander of INC-\d+/, 'the entry carries the brief');
    const row = web.locator('[data-testid="workstream"]', { hasText: 'Find what holds the pool connections' });
    await poll(async () => /Sam/.test(await text(row)) && !/Jordan/.test(await text(row)), { message: 'the workstream is Sam\'s now' });
    await screenshot('handoff-done');
  },
};
