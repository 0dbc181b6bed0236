// Escalate as a responder does it in the real workbench (#11 point 6): through the palette and every prompt — the
// routing key (hidden, asked once), why, the summary (prefilled), the modal confirm naming the host — against a
// local receiver playing PagerDuty's Events API v2. The page arrives with the key; the sidebar's timeline shows the
// escalation, who asked and that it was paged.
import assert from 'node:assert/strict';
import http from 'node:http';
import { poll, runCommand } from './codeServer.mjs';
import { answer, openSidebarAndDeclare } from './incidentPrompts.mjs';

/** The Events API, played: every page is recorded and accepted (202) the way PagerDuty answers. */
const pages = [];
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const page = JSON.parse(body);
    pages.push({ path: req.url, page });
    res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: page.dedup_key }));
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
server.unref(); // never keeps the runner up
const host = `127.0.0.1:${server.address().port}`;

export const workbench = {
  settings: {
    'incidentRoom.user.id': 'riley@example.com',
    'incidentRoom.user.name': 'Riley',
    'incidentRoom.escalation.url': `http://${host}/v2/enqueue`,
  },
  timeout: 120e3,
};

const toast = (page, text) => page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();

export const tests = {
  async 'Escalate through the palette: the routing key once, why, the summary, a confirm; the page arrives and the timeline says paged'({ page, screenshot }) {
    const web = await openSidebarAndDeclare(page, { title: 'Card tokenizer timeouts', severity: 'SEV1', symptom: 'payments time out' });

    await runCommand(page, 'Incident: Escalate (Page More Help)', { prompts: true });
    // No key kept for this receiver yet: asked first, hidden as it is typed.
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await poll(async () => (await input.getAttribute('type')) === 'password', { message: 'the routing key is asked as a password' });
    await answer(page, 'Kept in SecretStorage and sent only to', 'riley-routing-key');
    await answer(page, 'Why page more help', 'Nobody here owns the card tokenizer');
    // The summary comes prefilled from the incident; Enter keeps it.
    await poll(async () => /the alert's summary/.test(await page.locator('.quick-input-widget').innerText()), { message: 'the summary prompt' });
    const summary = await input.inputValue();
    assert.match(summary, /^\[SEV1\] INC-\d+: Card tokenizer timeouts \(investigating\)$/);
    await page.keyboard.press('Enter');
    const confirm = page.locator('.monaco-dialog-box', { hasText: `through ${host}?` });
    await confirm.waitFor({ timeout: 15e3 });
    assert.match(await confirm.innerText(), /Severity critical \(SEV1\)/);
    await screenshot('escalation-confirm');
    await confirm.locator('a.monaco-button, button', { hasText: 'Page' }).first().click();

    await toast(page, 'accepted the escalation').waitFor({ timeout: 20e3 });
    assert.equal(pages.length, 1);
    const [{ path, page: sent }] = pages;
    assert.equal(path, '/v2/enqueue');
    assert.equal(sent.routing_key, 'riley-routing-key');
    assert.equal(sent.event_action, 'trigger');
    assert.equal(sent.payload.summary, summary);
    assert.equal(sent.payload.severity, 'critical');
    assert.equal(sent.payload.custom_details.escalated_by, 'Riley (riley@example.com)');
    assert.equal(sent.payload.custom_details.reason, 'Nobody here owns the card tokenizer');

    const entry = web.locator('[data-testid="timeline-entry"]', { hasText: 'Escalated (paged more help)' }).first();
    await entry.waitFor({ timeout: 15e3 });
    await poll(async () => (await entry.innerText()).includes(`paged through ${host}`), { message: 'the timeline shows the page was delivered' });
    assert.match(await entry.innerText(), /Riley/);
    await screenshot('escalation-timeline');
  },

  async 'escalating again asks no key, says it was escalated already, and the page keeps the same dedup key'({ page }) {
    await runCommand(page, 'Incident: Escalate (Page More Help)', { prompts: true });
    await answer(page, 'Already escalated by Riley', 'Tokenizer on-call did not answer');
    await poll(async () => /the alert's summary/.test(await page.locator('.quick-input-widget').innerText()), { message: 'the summary prompt' });
    await page.keyboard.press('Enter');
    const confirm = page.locator('.monaco-dialog-box', { hasText: `through ${host}?` });
    await confirm.waitFor({ timeout: 15e3 });
    await confirm.locator('a.monaco-button, button', { hasText: 'Page' }).first().click();
    await poll(() => pages.length === 2, { message: 'the second page arrived' });
    assert.equal(pages[1].page.dedup_key, pages[0].page.dedup_key);
    assert.equal(pages[1].page.routing_key, 'riley-routing-key');
  },
};
