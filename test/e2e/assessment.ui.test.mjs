// Did it help? (#12) in the real workbench: a rollback finishes, the one who ran it (and Commander) is asked as a
// notification, which comes back after a window reload while unanswered; "too early" is recorded with its evidence;
// then the answer on the mitigation's row in the sidebar, with a line of evidence, shows on the row and the timeline.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { poll, runCommand, waitForActivityItem, webviewFrame } from './codeServer.mjs';
import { answer, choose, declareThroughPalette } from './incidentPrompts.mjs';

const now = Math.floor(Date.now() / 1000);

/** A repo with two deploy tags and a `command` rollback strategy that only echoes. */
function makeRepo(dir) {
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'Dana Ops', GIT_AUTHOR_EMAIL: 'dana@example.com', GIT_COMMITTER_NAME: 'Dana Ops', GIT_COMMITTER_EMAIL: 'dana@example.com' };
  const git = (args, at) => execFileSync('git', args, { cwd: dir, env: at ? { ...env, GIT_AUTHOR_DATE: `${at} +0000`, GIT_COMMITTER_DATE: `${at} +0000` } : env, stdio: 'pipe' });
  const write = (file, text) => { fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true }); fs.writeFileSync(path.join(dir, file), text); };
  git(['init', '-q', '-b', 'main']);
  write('scripts/deploy.sh', '#!/bin/sh\necho "deploying $1"\n');
  fs.chmodSync(path.join(dir, 'scripts/deploy.sh'), 0o755);
  write('.vscode/settings.json', JSON.stringify({ 'incidentRoom.rollback.strategy': 'command', 'incidentRoom.rollback.command': ['./scripts/deploy.sh', '${previousRef}'] }, null, 2));
  write('config/pool.yaml', 'size: 50\n');
  git(['add', '.']); git(['commit', '-q', '-m', 'Initial service'], now - 30 * 3600);
  git(['tag', 'release-41'], now - 29 * 3600);
  write('config/pool.yaml', 'size: 5\n');
  git(['commit', '-qam', 'Shrink DB pool'], now - 2 * 3600);
  git(['tag', '-a', 'release-42', '-m', 'Deploy 42'], now - 3600);
}

export const workbench = {
  settings: { 'incidentRoom.user.id': 'dana@example.com', 'incidentRoom.user.name': 'Dana' },
  prepareWorkspace: makeRepo,
  timeout: 150e3,
};

/** The "did it help?" toast for the rollback. */
const askToast = (page) => page.locator('.notifications-toasts .notification-toast', { hasText: /did it help/i }).first();

export const tests = {
  async 'after a rollback: asked as a notification (again after a reload), too early recorded; answered on the row with evidence, shown on the row and the timeline'({ page, screenshot }) {
    await declareThroughPalette(page, { title: 'Checkout timeouts after release-42', severity: 'SEV2', symptom: 'DB pool exhausted' });
    let web = webviewFrame(page);
    await web.locator('[data-testid="incident-title"]', { hasText: 'Checkout timeouts' }).waitFor({ timeout: 20e3 });
    await runCommand(page, 'Incident: Roll Back Deploy', { prompts: true });
    await choose(page, 'Roll back which deploy', 'release-42');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 20e3 });
    await dialog.locator('a.monaco-button, button', { hasText: 'Roll Back' }).first().click();
    await web.locator('[data-testid="timeline-entry"]', { hasText: 'Mitigation succeeded' }).waitFor({ timeout: 30e3 });

    // Dana ran it (and is Commander): the notification asks, with the four answers.
    await askToast(page).waitFor({ timeout: 15e3 });
    for (const b of ['Helped', 'No change', 'Worse', 'Too early']) await askToast(page).locator('.monaco-button', { hasText: b }).first().waitFor();
    const row = () => web.locator('[data-testid="mitigation-row"]').first();
    await row().locator('[data-testid="assess-ask"]').waitFor({ timeout: 15e3 });
    await screenshot('assessment-asked');

    // A reload forgets nothing: the question is derived from the incident, so it is asked again.
    await page.reload();
    await waitForActivityItem(page, 'Incident Room');
    await askToast(page).waitFor({ timeout: 60e3 });
    await askToast(page).locator('.monaco-button', { hasText: 'Too early' }).first().click();
    await answer(page, 'What are you waiting to see', 'error rate still settling');
    web = webviewFrame(page);
    await web.locator('[data-testid="timeline-entry"]', { hasText: 'Did it help? too early to tell: error rate still settling' }).waitFor({ timeout: 20e3 });
    const early = await row().locator('[data-testid="mitigation-assessment"]').innerText();
    // The time, with its day when that is not today (a run a few minutes before midnight asks again tomorrow).
    assert.match(early, /Too early to tell — error rate still settling · Dana · asking again (?:[A-Z][a-z]{2} \d{1,2} )?\d\d:\d\d/);
    assert.ok(await row().locator('[data-testid="assess-ask"]').isVisible(), 'too early still asks on the row');

    // On the row: Helped, then a line of evidence, Enter.
    await row().locator('[data-testid="assess-helped"]').click();
    const evidence = row().locator('[data-testid="assess-evidence"]');
    await evidence.waitFor();
    await evidence.fill('5xx back to 0.2% on the checkout dashboard');
    await screenshot('assessment-evidence');
    await evidence.press('Enter');
    await web.locator('[data-testid="timeline-entry"]', { hasText: 'Did it help? helped: 5xx back to 0.2% on the checkout dashboard' }).waitFor({ timeout: 20e3 });
    await poll(async () => /Helped — 5xx back to 0\.2% on the checkout dashboard · Dana/.test(await row().locator('[data-testid="mitigation-assessment"]').innerText()),
      { message: 'the row shows the latest answer with its evidence' });
    assert.equal(await row().locator('[data-testid="assess-ask"]').count(), 0, 'answered: the row no longer asks');
    await screenshot('assessment-answered');
  },
};
