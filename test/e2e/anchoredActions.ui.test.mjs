// Action items anchored to code (#16 point 2) in the real workbench: select lines of a file during an incident, run
// Add Action Item from Selection from the editor's context menu, and the item shows as a CodeLens on those lines;
// lines typed above move it with its code; Done in the lens marks it done and the lens goes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pickRow, poll, runCommand } from './codeServer.mjs';
import { answer, openSidebarAndDeclare } from './incidentPrompts.mjs';

function makeRepo(dir) {
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'Dana Ops', GIT_AUTHOR_EMAIL: 'dana@example.com', GIT_COMMITTER_NAME: 'Dana Ops', GIT_COMMITTER_EMAIL: 'dana@example.com' };
  const git = (args) => execFileSync('git', args, { cwd: dir, env, stdio: 'pipe' });
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  const pool = [
    'import { connect } from "./db";', '', 'export const size = 5;', '', 'export async function acquire() {',
    '  for (let i = 0; i < 3; i++) {', '    const c = await connect();', '    if (c.ok) return c;', '  }',
    '  throw new Error("pool exhausted");', '}', '',
  ];
  fs.writeFileSync(path.join(dir, 'src', 'pool.ts'), pool.join('\n'));
  git(['init', '-q', '-b', 'main']);
  git(['add', '.']);
  git(['commit', '-q', '-m', 'Pool']);
  git(['remote', 'add', 'origin', 'https://github.com/acme/checkout.git']);
}

export const workbench = {
  settings: { 'incidentRoom.user.id': 'dana@example.com', 'incidentRoom.user.name': 'Dana' },
  prepareWorkspace: makeRepo,
  timeout: 120e3,
};

const editorLines = (page) => page.locator('.part.editor .monaco-editor .view-lines').first();
const lens = (page, text) => page.locator('.part.editor .monaco-editor .codelens-decoration', { hasText: text }).first();

/** The line number whose row sits right below the lens (a CodeLens is drawn above the first line of its range). */
async function lineUnderLens(page, text) {
  const box = await lens(page, text).boundingBox();
  if (!box) return undefined;
  const numbers = await page.locator('.part.editor .monaco-editor .margin-view-overlays .line-numbers').evaluateAll((els) => els.map((e) => ({ n: Number(e.textContent), top: e.getBoundingClientRect().top })));
  const below = numbers.filter((l) => l.top >= box.y + box.height - 2).sort((a, b) => a.top - b.top)[0];
  return below?.n;
}

async function goToLine(page, n) {
  await page.keyboard.press('Control+g');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor();
  await input.fill(`:${n}`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden' });
}

export const tests = {
  async 'a selection becomes an action item shown as a CodeLens on its lines, moved by an edit above, gone when done'({ page, screenshot }) {
    // The sidebar loaded before the palette opens: a webview that finishes loading takes the focus and closes it.
    const web = await openSidebarAndDeclare(page, { title: 'Checkout pool exhausted', severity: 'SEV2', symptom: 'checkout 503s' });

    // Open src/pool.ts and select the retry loop (lines 6-9).
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await input.fill('pool.ts');
    await pickRow(page, 'pool.ts');
    await poll(async () => (await editorLines(page).innerText()).replace(/\u00a0/g, ' ').includes('pool exhausted'), { message: 'pool.ts is open' });
    await editorLines(page).click();
    // Go to Line leaves the cursor at column 1 (Home would go to the first non-blank character).
    await goToLine(page, 6);
    for (let i = 0; i < 4; i++) await page.keyboard.press('Shift+ArrowDown');

    // The editor's context menu, as a responder would: right-click the selection.
    const selected = page.locator('.part.editor .monaco-editor .view-line', { hasText: 'connect();' }).first();
    await selected.click({ button: 'right' });
    const item = page.locator('.context-view .action-item', { hasText: 'Add Action Item from Selection' }).first();
    await item.waitFor({ timeout: 15e3 });
    await screenshot('anchored-context-menu');
    await item.click();

    // The title is prefilled with the selection's first line; a codicon in the title must stay text.
    const titleBox = page.locator('.quick-input-widget .quick-input-box input');
    await poll(async () => (await titleBox.inputValue()).includes('for (let i = 0; i < 3; i++) {'), { message: 'the title is prefilled with the selected line' });
    await answer(page, 'What should be done about src/pool.ts:6-9', 'add a circuit breaker $(flame)');
    await answer(page, 'Owner', 'dana@example.com');
    await answer(page, 'Due date', '2099-03-03');

    const label = 'Follow-up';
    await lens(page, label).waitFor({ timeout: 20e3 });
    const lensText = (await lens(page, label).innerText()).replace(/\u00a0/g, ' ');
    assert.match(lensText, /Follow-up INC-\d+: add a circuit breaker \$\(flame\) · owner dana · due Mar 3, 2099/, `lens reads: ${lensText}`);
    assert.match(lensText, /Done/);
    assert.equal(await lens(page, label).locator('.codicon-flame').count(), 0, 'the user\'s $(flame) rendered as an icon');
    assert.equal(await lineUnderLens(page, label), 6, 'the lens sits on the first selected line');
    await web.locator('[data-testid="timeline-entry"]', { hasText: 'add a circuit breaker' }).first().waitFor({ timeout: 15e3 });
    await screenshot('anchored-lens-light');

    // Three lines typed at the top of the file: the lens moves down with its code.
    await goToLine(page, 1);
    // (Not comments: Enter after a line comment continues it in TypeScript.)
    for (const l of ['const one = 1;', 'const two = 2;', 'const three = 3;']) {
      await page.keyboard.type(l);
      await page.keyboard.press('Enter');
    }
    await poll(async () => (await lineUnderLens(page, label)) === 9, { message: 'the lens moved to line 9 with its code' });

    // The same lens in a dark theme, picked as a user would.
    await runCommand(page, 'Preferences: Color Theme', { prompts: true });
    await page.locator('.quick-input-widget .quick-input-box input').fill('Dark Modern');
    await pickRow(page, 'Dark Modern');
    await poll(() => page.locator('.monaco-workbench').first().evaluate((e) => e.classList.contains('vs-dark')), { message: 'dark theme' });
    await page.waitForTimeout(500);
    await screenshot('anchored-lens-dark');

    // Done, from the lens: the item is done for everyone and the lens goes.
    await lens(page, label).locator('a', { hasText: 'Done' }).click();
    await lens(page, label).waitFor({ state: 'detached', timeout: 20e3 });
    await web.locator('[data-testid="timeline-entry"]', { hasText: 'Action item done' }).first().waitFor({ timeout: 15e3 });

    // The postmortem says where the incident touched the code: the item, done, on its file and lines, with its permalink.
    await runCommand(page, 'Incident: Generate Postmortem');
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'not resolved yet' });
    await dialog.waitFor({ timeout: 15e3 });
    await dialog.locator('a.monaco-button, button', { hasText: 'Draft Anyway' }).first().click();
    await page.locator('.tabs-container .tab', { hasText: 'Postmortem' }).first().waitFor({ timeout: 20e3 });
    await page.locator('.part.editor .view-lines').first().click();
    await page.keyboard.press('Control+f');
    await page.keyboard.type('## Where the incident');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Escape');
    await poll(async () => {
      const t = (await page.locator('.part.editor .view-lines').first().innerText()).replace(/\u00a0/g, ' ').replace(/\s*\n/g, ' ');
      return /\*\*src\/pool\.ts\*\*/.test(t) && /Lines 6–9 — action item anchored here \(done\): add a circuit breaker \$\(flame\) — \[src\/pool\.ts:6-9\]/.test(t)
        // (Monaco soft-wraps the long link line: the wrap shows as a space.)
        && /\(https:\/\/github\.com\/acme\/checkout\/blob\/[0-9a-f]{40}\/src\/pool\.ts#L6-L9\)/.test(t);
    }, { message: 'the postmortem lists the anchored item under src/pool.ts with its permalink' });
    await screenshot('anchored-postmortem');
  },
};
