// Prepared mitigations (#12) in the real workbench, on the demo's own sample repository (checkout-service with its
// .incident-room/mitigations.json and stand-in scripts): the sidebar lists the incident's lowest risk first, Run
// confirms with the exact argv, risk, caution and undo, the script runs as a task, and both mitigation events land
// on the timeline; a restart's confirm says it can widen the damage; a broken catalog names the entry and field.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createDemoRepo } from '../../scripts/demo-repo.mjs';
import { poll, runCommand, webviewFrame } from './codeServer.mjs';
import { choose, declareThroughPalette } from './incidentPrompts.mjs';

export const workbench = {
  settings: { 'incidentRoom.user.id': 'dana@example.com', 'incidentRoom.user.name': 'Dana' },
  prepareWorkspace(dir) {
    // The origin sits next to the workspace, in code-server's run folder, so it goes when the run does.
    createDemoRepo({ dir, originDir: path.join(path.dirname(dir), 'origin.git'), you: { name: 'Dana Ops', email: 'dana@example.com' } });
  },
  timeout: 120e3,
};

const CATALOG = '.incident-room/mitigations.json';

export const tests = {
  async 'the sidebar lists the incident\'s prepared mitigations lowest risk first, and Run records both events'({ page, screenshot }) {
    await declareThroughPalette(page, { title: 'Checkout 5xx after release-42', severity: 'SEV2', symptom: 'orders-db pool exhausted', scope: 'EU checkout' });
    const web = webviewFrame(page);
    await web.locator('[data-testid="incident-title"]', { hasText: 'Checkout 5xx' }).waitFor({ timeout: 20e3 });
    const list = web.locator('[data-testid="prepared-mitigations"]');
    await list.waitFor({ timeout: 20e3 });
    // The scope names checkout: the storefront's load shed is left out, the rest lowest risk first.
    const ids = await poll(async () => {
      const found = await list.locator('[data-testid="prepared-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
      return found.length === 3 && found;
    }, { message: 'three prepared mitigations listed' });
    assert.deepEqual(ids, ['receipts-off', 'shift-eu-central', 'restart-checkout']);
    const text = await list.innerText();
    assert.match(text, /Prepared for checkout/);
    assert.match(text, /1 more for other services/);
    assert.match(text, /feature-flag · checkout, orders-db — Customers get no receipt email/);
    await list.scrollIntoViewIfNeeded();
    await screenshot('mitigations-prepared');

    await list.locator('[data-testid="prepared-row"][data-id="receipts-off"] [data-testid="prepared-run"]').click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 20e3 });
    const confirm = await dialog.innerText();
    assert.match(confirm, /Turn off receipt emails\?/);
    assert.match(confirm, /Will run: \.\/scripts\/flag\.sh receipt-emails off --reason INC-\d+/, 'the exact argv, the incident id substituted');
    assert.match(confirm, /Risk: low\. Customers get no receipt email/);
    assert.match(confirm, /Undo: \.\/scripts\/flag\.sh receipt-emails on --reason INC-\d+/);
    assert.match(confirm, /Afterwards, watch: orders-db active connections/);
    await screenshot('mitigation-confirm');
    await dialog.locator('a.monaco-button, button', { hasText: /^Run$/ }).first().click();

    const finished = web.locator('[data-testid="timeline-entry"]', { hasText: 'Mitigation succeeded' });
    await finished.waitFor({ timeout: 30e3 });
    await web.locator('[data-testid="timeline-entry"]', { hasText: 'Mitigation started (feature flag): Turn off receipt emails' }).waitFor();
    // What the script printed is on the record, and it ran as a task in the terminal panel.
    assert.match(await finished.innerText(), /exited with code 0/);
    await poll(async () => (await page.locator('.part.panel').innerText().catch(() => '')).includes('mitigation: ./scripts/flag.sh'), { message: 'the mitigation task shows in the terminal panel' });
    // The entry is folded to its first line; "more" shows what the script printed.
    await finished.locator('button.fold').click();
    assert.match(await finished.innerText(), /flags: receipt-emails -> off \(reason: INC-\d+\)/, 'what the script printed is on the timeline');
  },

  async 'a restart picked from the palette warns that it can widen the damage; cancelling records nothing'({ page, screenshot }) {
    const web = webviewFrame(page);
    const before = await web.locator('[data-testid="timeline-entry"]').count();
    await runCommand(page, 'Incident: Run Mitigation', { prompts: true });
    await choose(page, 'lowest risk first', 'Rolling restart of checkout');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 20e3 });
    const confirm = await dialog.innerText();
    assert.match(confirm, /Risk: high/);
    assert.match(confirm, /A restart can widen the damage/);
    assert.match(confirm, /Undo: none prepared/);
    await screenshot('mitigation-confirm-restart');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', timeout: 10e3 });
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await web.locator('[data-testid="timeline-entry"]').count(), before, 'nothing was recorded');
  },

  async 'a broken catalog is named in the sidebar by entry and field, and Run Mitigation offers to open it'({ page, workspaceDir, screenshot }) {
    const file = path.join(workspaceDir, CATALOG);
    const good = fs.readFileSync(file, 'utf8');
    const catalog = JSON.parse(good);
    catalog.mitigations[1].risk = 'urgent';
    fs.writeFileSync(file, JSON.stringify(catalog, null, 2));
    try {
      const web = webviewFrame(page);
      const problem = web.locator('[data-testid="prepared-problem"]');
      await problem.waitFor({ timeout: 20e3 });
      assert.match(await problem.innerText(), /entry 2 \("shift-eu-central"\), risk: expected one of low, medium, high/);
      await screenshot('mitigations-broken-catalog');
      // It refuses before any prompt.
      await runCommand(page, 'Incident: Run Mitigation');
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'cannot be used' });
      await toast.waitFor({ timeout: 20e3 });
      assert.match(await toast.innerText(), /entry 2 \("shift-eu-central"\), risk/);
      await toast.hover();
      await toast.locator('a.monaco-button, .monaco-button', { hasText: 'Open mitigations.json' }).first().click();
      await page.locator('.tabs-container .tab', { hasText: 'mitigations.json' }).first().waitFor({ timeout: 15e3 });
    } finally {
      fs.writeFileSync(file, good);
    }
    await webviewFrame(page).locator('[data-testid="prepared-problem"]').waitFor({ state: 'detached', timeout: 20e3 });
  },
};
