// Triage in the real workbench (#11): before any triage the sidebar asks for one; Incident: Record Triage through
// the palette shows it under the card with "suggests SEV1" beside the SEV2 it leaves alone; the message's Change
// Severity opens the picker with SEV1 first and the why filled in, and only the user's Enter changes it; Re-triage
// starts every prompt from the last answer, Escape part-way records nothing, and Enter all the way records the same
// triage again. Local mode: no server configured.
import assert from 'node:assert/strict';
import { notificationToasts, poll, webviewFrame, runCommand } from './codeServer.mjs';
import { answer, choose, openSidebarAndDeclare } from './incidentPrompts.mjs';

export const workbench = {
  settings: { 'incidentRoom.user.id': 'tess@example.com', 'incidentRoom.user.name': 'Tess' },
  timeout: 150e3,
};

/** What the quick input shows as its prompt (message, title, placeholder), or null when hidden: an expression for the page. */
const PROMPT = `(() => {
  const w = document.querySelector('.quick-input-widget');
  if (!w || w.style.display === 'none') return null;
  const input = w.querySelector('.quick-input-box input');
  return [w.querySelector('.quick-input-message')?.textContent, w.querySelector('.quick-input-title')?.textContent, input?.getAttribute('placeholder')].join(' ');
})()`;

async function waitForPrompt(page, prompt, rows) {
  const handle = await page.waitForFunction(`(() => {
    const seen = ${PROMPT};
    const n = document.querySelectorAll('.quick-input-widget .monaco-list-row').length;
    return seen !== null && seen.includes(${JSON.stringify(prompt)}) && (${!rows} || n > 0) && seen;
  })()`, undefined, { timeout: 15e3 });
  return handle.jsonValue();
}

/**
 * The prompt showing `prompt` starts from the last answer: a pick with the row `active` highlighted, or an input
 * box holding `value`. Take it with Enter, as a responder re-triaging would.
 */
async function keep(page, prompt, { active, value }) {
  const widget = page.locator('.quick-input-widget');
  const shown = await waitForPrompt(page, prompt, active !== undefined);
  if (active !== undefined) {
    await poll(async () => (await widget.locator('.monaco-list-row.focused').getAttribute('aria-label'))?.startsWith(active),
      { message: `"${prompt}" does not start on "${active}"` });
  } else {
    assert.equal(await widget.locator('.quick-input-box input').inputValue(), value, `"${prompt}" starts from the last triage`);
  }
  await page.keyboard.press('Enter');
  await page.waitForFunction(`${PROMPT} !== ${JSON.stringify(shown)}`, undefined, { timeout: 15e3 });
}

async function timelineTotal(web) {
  return Number(/\((\d+)\)/.exec(await web.locator('h2', { hasText: 'Timeline' }).innerText())?.[1]);
}

export const tests = {
  async 'Record Triage from the palette: the latest triage under the card, "suggests SEV1" beside the SEV2 it leaves alone'({ page, screenshot }) {
    const web = await openSidebarAndDeclare(page, { title: 'Some EU card payments charged twice', severity: 'SEV2', symptom: 'duplicate captures in the payments ledger' });
    await web.locator('[data-testid="triage-missing"]', { hasText: 'Triage not recorded' }).waitFor({ timeout: 20e3 });
    assert.equal(await web.locator('[data-testid="triage-record"]').innerText(), 'Record Triage');

    await runCommand(page, 'Incident: Record Triage', { prompts: true });
    await choose(page, 'roughly what share of users', 'Some users');
    await answer(page, 'in a few words', 'EU card payers');
    await answer(page, 'How many users', '~1.2k');
    await answer(page, 'Regions affected', 'eu-west-1, eu-central-1');
    await answer(page, 'Routes or endpoints', '/checkout/pay');
    await answer(page, 'Tenants or customers', '');
    await choose(page, 'still spreading', 'growing');
    await choose(page, 'Customer impact:', 'confirmed');
    await answer(page, 'Customer impact confirmed: the evidence', '31% of /checkout/pay requests fail');
    await choose(page, 'Financial impact:', 'suspected');
    await answer(page, 'Financial impact suspected: the evidence', '');
    await choose(page, 'Data-integrity impact:', 'confirmed');
    await answer(page, 'Data integrity impact confirmed: the evidence', '12 payments captured twice');
    await answer(page, 'A note on this triage', 'refunds team told');

    const triage = web.locator('[data-testid="triage"]');
    await triage.locator('.triage-grid').waitFor({ timeout: 15e3 });
    const text = await triage.innerText();
    assert.match(text, /Some users · ~1,200 · EU card payers/);
    assert.match(text, /eu-west-1, eu-central-1, \/checkout\/pay/);
    assert.match(text, /growing/);
    assert.match(text, /refunds team told/);
    assert.deepEqual(await triage.locator('[data-testid="triage-impact"]').allInnerTexts(), [' Customer confirmed', ' Financial suspected', ' Data integrity confirmed'].map((s) => s.trim()));
    assert.equal(await triage.locator('[data-testid="triage-impact"][data-kind="customer"]').getAttribute('title'), 'Customer impact confirmed: 31% of /checkout/pay requests fail');
    assert.equal(await web.locator('[data-testid="severity-suggestion"]').innerText(), 'suggests SEV1');
    assert.equal(await web.locator('[data-testid="incident-severity"]').innerText(), 'SEV2', 'a suggestion never changes the severity');
    assert.match(await web.locator('[data-testid="triage-suggestion"]').innerText(), /SEV1 suggested: data integrity impact confirmed \(current SEV2\)/);
    await poll(async () => /^Triage: some users affected \(~1,200, EU card payers\)/m.test(await web.locator('[data-testid="timeline-entry"]').first().innerText()),
      { message: 'the triage is the newest timeline entry' });
    const toast = notificationToasts(page).filter({ hasText: 'SEV1 suggested: data integrity impact confirmed (current SEV2)' });
    await toast.waitFor({ timeout: 10e3 });
    await screenshot('triage-recorded');
  },

  async 'Change Severity from the message: SEV1 first with its reason, the why filled in; the user confirms'({ page }) {
    const web = webviewFrame(page);
    const toast = notificationToasts(page).filter({ hasText: 'SEV1 suggested' });
    await toast.hover(); // a toast under the pointer stays
    await toast.locator('a.monaco-button, button', { hasText: 'Change Severity' }).first().click();
    await waitForPrompt(page, 'Change Severity of', true);
    const first = page.locator('.quick-input-widget .monaco-list-row').first();
    assert.match(await first.getAttribute('aria-label'), /^SEV1 · Critical/);
    assert.match(await first.innerText(), /suggested by triage: data integrity impact confirmed/);
    assert.equal(await web.locator('[data-testid="incident-severity"]').innerText(), 'SEV2', 'nothing changes until the user confirms');
    await keep(page, 'Change Severity of', { active: 'SEV1' });
    await keep(page, 'Why SEV1?', { value: 'Triage: data integrity impact confirmed' });
    await web.locator('[data-testid="incident-severity"]', { hasText: 'SEV1' }).waitFor({ timeout: 15e3 });
    assert.equal(await web.locator('[data-testid="severity-suggestion"]').count(), 0, 'no suggestion once it agrees');
    assert.equal(await web.locator('[data-testid="triage-suggestion"]').count(), 0);
    assert.match(await web.locator('[data-testid="timeline-entry"]').first().innerText(), /Severity → SEV1 \(Triage: data integrity impact confirmed\)/);
  },

  async 'Re-triage starts every prompt from the last answer; Escape part-way records nothing; Enter all the way records it again'({ page, screenshot }) {
    const web = webviewFrame(page);
    const before = await timelineTotal(web);
    const reTriage = web.locator('[data-testid="triage-record"]', { hasText: 'Re-triage' });
    await reTriage.click();
    await keep(page, 'roughly what share of users', { active: 'Some users' });
    await keep(page, 'in a few words', { value: 'EU card payers' });
    await keep(page, 'How many users', { value: '1200' });
    await waitForPrompt(page, 'Regions affected', false);
    await page.keyboard.press('Escape');
    await page.waitForFunction(`${PROMPT} === null`, undefined, { timeout: 15e3 });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await timelineTotal(web), before, 'Escape recorded nothing');
    assert.match(await web.locator('[data-testid="triage"] .triage-meta').innerText(), /^Recorded \d\d:\d\d by Tess$/);

    await reTriage.click();
    await keep(page, 'roughly what share of users', { active: 'Some users' });
    await keep(page, 'in a few words', { value: 'EU card payers' });
    await keep(page, 'How many users', { value: '1200' });
    await keep(page, 'Regions affected', { value: 'eu-west-1, eu-central-1' });
    await keep(page, 'Routes or endpoints', { value: '/checkout/pay' });
    await keep(page, 'Tenants or customers', { value: '' });
    await keep(page, 'still spreading', { active: 'growing' });
    await keep(page, 'Customer impact:', { active: 'confirmed' });
    await keep(page, 'Customer impact confirmed: the evidence', { value: '31% of /checkout/pay requests fail' });
    await keep(page, 'Financial impact:', { active: 'suspected' });
    await keep(page, 'Financial impact suspected: the evidence', { value: '' });
    await keep(page, 'Data-integrity impact:', { active: 'confirmed' });
    await keep(page, 'Data integrity impact confirmed: the evidence', { value: '12 payments captured twice' });
    await keep(page, 'A note on this triage', { value: 'refunds team told' });
    await web.locator('[data-testid="triage"] .triage-meta', { hasText: '1 earlier on the timeline' }).waitFor({ timeout: 15e3 });
    assert.equal(await timelineTotal(web), before + 1);
    assert.match(await web.locator('[data-testid="triage"]').innerText(), /Some users · ~1,200 · EU card payers/);
    await screenshot('triage-retriaged');
  },
};
