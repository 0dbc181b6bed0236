// Recent deploys from git in the real workbench: the tree lists the repo's deploy tags, Open Deploy Diff opens the
// changes, and a rollback with the `command` strategy asks for confirmation and records both mitigation events.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { poll, runCommand, setPaneExpanded, waitForActivityItem, webviewFrame } from './codeServer.mjs';
import { answer, choose, declareThroughPalette } from './incidentPrompts.mjs';

const HOUR = 3600;
const now = Math.floor(Date.now() / 1000);

function makeRepo(dir) {
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'Dana Ops', GIT_AUTHOR_EMAIL: 'dana@example.com', GIT_COMMITTER_NAME: 'Dana Ops', GIT_COMMITTER_EMAIL: 'dana@example.com' };
  const git = (args, at) => execFileSync('git', args, { cwd: dir, env: at ? { ...env, GIT_AUTHOR_DATE: `${at} +0000`, GIT_COMMITTER_DATE: `${at} +0000` } : env, stdio: 'pipe' });
  const write = (file, text) => { fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true }); fs.writeFileSync(path.join(dir, file), text); };
  git(['init', '-q', '-b', 'main']);
  write('scripts/deploy.sh', '#!/bin/sh\necho "deploying $1"\n');
  fs.chmodSync(path.join(dir, 'scripts/deploy.sh'), 0o755);
  write('.vscode/settings.json', JSON.stringify({ 'incidentRoom.rollback.strategy': 'command', 'incidentRoom.rollback.command': ['./scripts/deploy.sh', '${previousRef}'] }, null, 2));
  write('src/checkout.ts', 'export const retries = 3;\n');
  write('config/pool.yaml', 'size: 50\n');
  git(['add', '.']); git(['commit', '-q', '-m', 'Initial service'], now - 72 * HOUR);
  git(['tag', '-a', 'release-40', '-m', 'Deploy 40'], now - 70 * HOUR);
  write('src/checkout.ts', 'export const retries = 3;\nexport const timeoutMs = 2000;\n');
  git(['commit', '-qam', 'Add checkout timeout'], now - 30 * HOUR);
  git(['tag', 'release-41'], now - 29 * HOUR);
  write('config/pool.yaml', 'size: 5\n');
  write('src/payments/client.ts', 'export const client = {};\n');
  git(['add', '.']); git(['commit', '-q', '-m', 'Shrink DB pool, add payments client'], now - 2 * HOUR);
  git(['tag', '-a', 'release-42', '-m', 'Deploy 42'], now - HOUR);
}

export const workbench = {
  settings: { 'incidentRoom.user.id': 'dana@example.com', 'incidentRoom.user.name': 'Dana' },
  prepareWorkspace: makeRepo,
  timeout: 120e3,
};

export const tests = {
  async 'the Recent Deploys tree lists the repo\'s deploys, newest first'({ page }) {
    const item = await waitForActivityItem(page, 'Incident Room');
    await item.click();
    // It starts folded, so that it never takes the incident's room; one click opens it.
    const tree = await setPaneExpanded(page, 'Recent Deploys');
    const rows = tree.locator('.monaco-list-row');
    await rows.first().waitFor({ timeout: 30e3 });
    const labels = await poll(async () => {
      const l = await rows.locator('.label-name').allInnerTexts();
      return l.length >= 3 && l;
    }, { message: 'three deploys listed' });
    assert.deepEqual(labels.slice(0, 3), ['release-42', 'release-41', 'release-40']);
    assert.match(await rows.first().innerText(), /1h ago · Dana Ops · 1 commit/);
  },

  async 'Open Deploy Diff shows the files the deploy changed'({ page, screenshot }) {
    await runCommand(page, 'Incident: Open Deploy Diff', { prompts: true });
    await choose(page, 'Open Deploy Diff', 'release-42');
    const tab = page.locator('.tabs-container .tab', { hasText: 'release-42' }).first();
    await tab.waitFor({ timeout: 20e3 });
    assert.match(await tab.innerText(), /release-42: 2 files since release-41/);
    await page.locator('.multiDiffEditor, .multi-diff-editor, [class*="multiDiff"]').first().waitFor({ timeout: 20e3 });
    // Monaco renders spaces as no-break spaces.
    await poll(async () => (await page.locator('.part.editor').innerText()).replace(/\u00a0/g, ' ').includes('size: 5'), { message: 'the new pool size shows in the diff' });
    await screenshot('deploy-diff');
  },

  async 'rolling back with the command strategy confirms the exact argv and records both mitigation events'({ page, screenshot }) {
    await declareThroughPalette(page, { title: 'Checkout timeouts after release-42', severity: 'SEV2', symptom: 'DB pool exhausted' });
    const web = webviewFrame(page);
    await web.locator('[data-testid="incident-title"]', { hasText: 'Checkout timeouts' }).waitFor({ timeout: 20e3 });
    // Flag the suspect first: it shows in the sidebar and on the timeline.
    await runCommand(page, 'Incident: Flag Deploy as Suspect', { prompts: true });
    await choose(page, 'Flag a deploy as suspect', 'release-42');
    await answer(page, 'Why is release-42 suspect', 'pool size 50 → 5');
    await web.locator('[data-testid="timeline-entry"]', { hasText: 'Flagged deploy release-42' }).waitFor({ timeout: 15e3 });
    await runCommand(page, 'Incident: Roll Back Deploy', { prompts: true });
    await choose(page, 'Roll back which deploy', 'release-42');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 20e3 });
    const text = await dialog.innerText();
    assert.match(text, /\.\/scripts\/deploy\.sh release-41/, 'the exact argv is shown');
    assert.match(text, /Undoes 1 commit and 2 files since release-41/);
    await screenshot('rollback-confirm');
    await dialog.locator('a.monaco-button, button', { hasText: 'Roll Back' }).first().click();
    await web.locator('[data-testid="timeline-entry"]', { hasText: 'Mitigation succeeded' }).waitFor({ timeout: 30e3 });
    await web.locator('[data-testid="timeline-entry"]', { hasText: 'Mitigation started (rollback)' }).waitFor();
    // It ran as a VS Code task, in a terminal named after the exact argv.
    await poll(async () => (await page.locator('.part.panel').innerText().catch(() => '')).includes('rollback: ./scripts/deploy.sh release-41'), { message: 'the rollback task shows in the terminal panel' });
    const entry = await web.locator('[data-testid="timeline-entry"]', { hasText: 'Mitigation succeeded' }).innerText();
    assert.match(entry, /exit code 0|exited with 0|succeeded/);
  },

  async 'a rollback refused for uncommitted changes says so and offers Open Source Control, which opens it'({ page, workspaceDir, screenshot }) {
    // The revert strategy commits on the current branch: with local edits it refuses before running anything.
    const settingsFile = path.join(workspaceDir, '.vscode', 'settings.json');
    const settings = fs.readFileSync(settingsFile, 'utf8');
    const checkout = path.join(workspaceDir, 'src', 'checkout.ts');
    const before = fs.readFileSync(checkout, 'utf8');
    fs.writeFileSync(settingsFile, JSON.stringify({ ...JSON.parse(settings), 'incidentRoom.rollback.strategy': 'revert' }, null, 2));
    fs.writeFileSync(checkout, `${before}// local edit, not committed\n`);
    try {
      await runCommand(page, 'Incident: Roll Back Deploy', { prompts: true });
      await choose(page, 'Roll back which deploy', 'release-42');
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'cannot roll back release-42' });
      await toast.waitFor({ timeout: 30e3 });
      assert.match(await toast.innerText(), /uncommitted|local changes|work tree/i);
      assert.match(await toast.innerText(), /Nothing was run/);
      await screenshot('rollback-refused-dirty');
      await toast.hover();
      await toast.locator('a.monaco-button, .monaco-button', { hasText: 'Open Source Control' }).first().click();
      await page.locator('.part.sidebar .composite.title', { hasText: /Source Control/i }).first().waitFor({ timeout: 15e3 });
    } finally {
      fs.writeFileSync(checkout, before);
      fs.writeFileSync(settingsFile, settings);
    }
  },

  async 'no deploy matches: the view says what it looked for and offers the deploy settings, which open'({ page, workspaceDir, screenshot }) {
    const settingsFile = path.join(workspaceDir, '.vscode', 'settings.json');
    const settings = fs.readFileSync(settingsFile, 'utf8');
    fs.writeFileSync(settingsFile, JSON.stringify({ ...JSON.parse(settings), 'incidentRoom.deploys.tagPatterns': ['shipped/*'] }, null, 2));
    try {
      await (await waitForActivityItem(page, 'Incident Room')).click();
      const pane = await setPaneExpanded(page, 'Recent Deploys');
      await poll(async () => /shipped\/\*/.test(await pane.innerText()), { timeout: 30e3, message: 'the view says which tags it looked for' });
      // The view's own button (its title bar shows its actions while the pointer is over it).
      await pane.locator('.pane-header').hover();
      const button = pane.locator('.pane-header .action-label[aria-label="Open Deploy Settings"]');
      await button.waitFor({ timeout: 15e3 });
      await screenshot('deploys-empty');
      await button.click();
      // The Settings editor opens on the deploy settings (searched for), the tag patterns among them.
      await page.locator('.settings-editor', { hasText: 'Deploys: Tag Patterns' }).first().waitFor({ timeout: 15e3 });
      assert.doesNotMatch(await page.locator('.settings-editor').first().innerText(), /Rollback: Strategy/, 'only the deploy settings are listed');
      await page.keyboard.press('Escape');
    } finally {
      fs.writeFileSync(settingsFile, settings);
    }
  },
};
