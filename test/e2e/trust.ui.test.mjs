// A hostile repository opened untrusted, in the real workbench with Workspace Trust on (issue #10 items 10 and 12):
// its .git/config names programs for git to run (core.fsmonitor, gpg.program with log.showSignature, a filter, a
// post-index-change hook), each writing a marker file, and its .vscode/settings.json points the channel server and
// the status-update webhook at a listener this test runs and sets a rollback command. The responder answers the
// workbench's trust prompt with "No, I don't trust the authors" and works in Restricted Mode: nothing of the
// repository runs, nothing is contacted, and the deploys view and the rollback button say why. Then, as the control,
// the folder is trusted: the deploys are listed (git runs now, with the runner's overrides, and still runs none of
// the repository's programs) and the workspace's server setting applies, so the listener does hear from it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pickRow, poll, runCommand, setPaneExpanded, waitForActivityItem, waitForExtensionsActivated, webviewFrame } from './codeServer.mjs';
import { answer, assignThroughPalette, choose, declareThroughPalette } from './incidentPrompts.mjs';

const HOUR = 3600;

/** What the repository's settings point at: every connection and request is recorded, none answered usefully. */
const listener = { server: undefined, port: 0, contacts: [] };
/** The file each program the repository names appends its name to; outside the workspace (in the run folder). */
let marker = '';

async function startListener() {
  const server = http.createServer((req, res) => {
    listener.contacts.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`.trim());
    res.writeHead(404).end();
  });
  server.on('connection', () => listener.contacts.push('connection'));
  server.on('upgrade', (req, socket) => {
    listener.contacts.push(`upgrade ${req.url}`);
    socket.destroy();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  listener.server = server;
  listener.port = server.address().port;
  // If the runner gives up on a test (its timeout) the last test's close never runs: never keep the process up.
  server.unref();
}

const ran = () => (fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8').split('\n').filter(Boolean) : []);

async function makeHostileRepo(dir) {
  await startListener();
  marker = path.join(path.dirname(dir), 'hostile-programs-ran.txt');
  const now = Math.floor(Date.now() / 1000);
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'Mallory', GIT_AUTHOR_EMAIL: 'mallory@example.com', GIT_COMMITTER_NAME: 'Mallory', GIT_COMMITTER_EMAIL: 'mallory@example.com' };
  const git = (args, { at, input } = {}) => execFileSync('git', args, {
    cwd: dir, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'],
    env: at ? { ...env, GIT_AUTHOR_DATE: `${at} +0000`, GIT_COMMITTER_DATE: `${at} +0000` } : env,
  }).trim();
  const write = (file, text, mode) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text, mode ? { mode } : undefined);
  };
  const program = (name) => {
    // Inside the repository, as an attacker would ship it; the filter passes its input through like a real one.
    const file = `tools/${name}.sh`;
    write(file, `#!/bin/sh\necho ${name} >> ${JSON.stringify(marker)}\n${name === 'filter' ? 'cat\n' : ''}exit 0\n`, 0o755);
    return path.join(dir, file);
  };

  git(['init', '-q', '-b', 'main']);
  write('src/checkout.ts', 'export const retries = 0;\nexport const timeoutMs = 50;\n');
  write('.vscode/settings.json', JSON.stringify({
    'incidentRoom.server.url': `ws://127.0.0.1:${listener.port}`,
    'incidentRoom.updates.webhookUrl': `http://127.0.0.1:${listener.port}/hook`,
    'incidentRoom.escalation.url': `http://127.0.0.1:${listener.port}/v2/enqueue`,
    'incidentRoom.rollback.strategy': 'command',
    'incidentRoom.rollback.command': [path.join(dir, 'tools', 'rollback.sh'), '${previousRef}'],
  }, null, 2));
  const programs = Object.fromEntries(['fsmonitor', 'gpg', 'filter', 'post-index-change', 'rollback'].map((n) => [n, program(n)]));
  git(['add', '.']);
  git(['commit', '-q', '-m', 'Initial service'], { at: now - 3 * HOUR });
  git(['tag', '-a', 'deploy/1', '-m', 'Deploy 1'], { at: now - 3 * HOUR });
  write('src/checkout.ts', 'export const retries = 3;\nexport const timeoutMs = 2000;\n');
  git(['commit', '-qam', 'Retry checkout'], { at: now - 2 * HOUR });
  // A commit with a (fake) signature: with log.showSignature git hands it to gpg.program, which is what listing the
  // deploys (log --no-walk of the annotated tags' commits) would run.
  const signed = git(['hash-object', '-t', 'commit', '-w', '--stdin'], {
    input: [`tree ${git(['rev-parse', 'HEAD^{tree}'])}`, `parent ${git(['rev-parse', 'HEAD'])}`,
      `author Mallory <mallory@example.com> ${now - HOUR} +0000`, `committer Mallory <mallory@example.com> ${now - HOUR} +0000`,
      'gpgsig -----BEGIN PGP SIGNATURE-----', ' ', ' iQEzBAABCAAdFiEEfake', ' -----END PGP SIGNATURE-----', '', 'Signed release', ''].join('\n'),
  });
  git(['update-ref', 'refs/heads/main', signed]);
  git(['tag', '-a', 'deploy/2', '-m', 'Deploy 2', signed], { at: now - HOUR });
  // The repository's own config: what a cloned (or unpacked) repository can carry.
  git(['config', 'core.fsmonitor', programs.fsmonitor]);
  git(['config', 'log.showSignature', 'true']);
  git(['config', 'gpg.program', programs.gpg]);
  git(['config', 'filter.evil.clean', programs.filter]);
  fs.writeFileSync(path.join(dir, '.git', 'info', 'attributes'), '*.ts filter=evil\n');
  fs.copyFileSync(programs['post-index-change'], path.join(dir, '.git', 'hooks', 'post-index-change'));
  fs.chmodSync(path.join(dir, '.git', 'hooks', 'post-index-change'), 0o755);
  assert.deepEqual(ran(), [], 'preparing the repository ran none of its programs');
}

export const workbench = {
  settings: {
    'security.workspace.trust.enabled': true,
    'security.workspace.trust.startupPrompt': 'once',
    // VS Code's own git extension would run git here once the folder is trusted (its status runs core.fsmonitor):
    // the marker must tell only what Incident Room runs.
    'git.enabled': false,
    'incidentRoom.user.id': 'pat@example.com',
    'incidentRoom.user.name': 'Pat',
  },
  prepareWorkspace: makeHostileRepo,
  timeout: 150e3,
};

/**
 * Open the palette on `filter` and return the labels of its rows once they answer that filter: the rows that match,
 * or VS Code's fallback when nothing does ("No matching commands", or "similar commands" ranked by meaning).
 */
async function paletteRows(page, filter) {
  await page.evaluate(() => { if (document.activeElement instanceof HTMLIFrameElement) document.activeElement.blur(); });
  await page.locator('.part.editor').first().focus().catch(() => {});
  await page.keyboard.press('F1');
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('.quick-input-box input');
  await input.waitFor();
  await input.fill(`>${filter}`);
  const labels = await poll(async () => {
    const rows = await widget.locator('.monaco-list-row').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    const answered = rows.some((r) => r.startsWith(filter) || r.startsWith('No matching commands')) || (await widget.innerText()).includes('similar commands');
    return answered && rows;
  }, { message: `the palette answered "${filter}"` });
  await page.keyboard.press('Escape');
  await input.waitFor({ state: 'hidden' });
  return labels;
}

/** Close the Workspace Trust editor when 1.139 shows it as a modal editor (it would cover the views); best effort. */
async function closeTrustEditor(page) {
  const modal = page.locator('.modal-editor-part', { has: page.locator('.workspace-trust-editor') });
  if (!(await modal.count())) return;
  await page.keyboard.press('Escape');
  if (await modal.waitFor({ state: 'detached', timeout: 3e3 }).then(() => true, () => false)) return;
  await modal.locator('.modal-editor-action-container .codicon-close, .modal-editor-action-container [aria-label^="Close"]').first().click({ timeout: 5e3 }).catch(() => {});
  await modal.waitFor({ state: 'detached', timeout: 5e3 }).catch(() => {});
}

const deploysPane = (page) => page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Recent Deploys' }) });
const toast = (page, text) => page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();

export const tests = {
  async 'the workbench asks whether to trust the folder, and "No, I don\'t trust the authors" opens it in Restricted Mode'({ page, screenshot }) {
    const dialog = page.locator('.monaco-dialog-box', { hasText: /trust the authors/i });
    const restricted = page.locator('.part.statusbar', { hasText: 'Restricted Mode' });
    // The startup prompt (security.workspace.trust.startupPrompt 'once', a fresh profile). The status bar already says
    // Restricted Mode while it is up (the folder is untrusted until answered), so wait for the prompt itself; should
    // this workbench open the folder without it, the same answer is given in the Workspace Trust editor instead.
    const prompted = await dialog.waitFor({ timeout: 60e3 }).then(() => true, () => false);
    if (prompted) {
      await screenshot('trust-prompt');
      await dialog.getByRole('button', { name: /don.t trust the authors/i }).click();
      await dialog.waitFor({ state: 'detached', timeout: 15e3 });
    } else if (!(await restricted.count())) {
      await runCommand(page, 'Workspaces: Manage Workspace Trust');
      await page.locator('.workspace-trust-editor .monaco-button', { hasText: /Don.t Trust/ }).first().click();
      await closeTrustEditor(page);
    }
    await restricted.waitFor({ timeout: 15e3 });
    assert.equal(await page.locator('.monaco-dialog-box').count(), 0, 'a dialog is still up');
  },

  async 'Restricted Mode: the deploys view says why it is empty and offers Manage Workspace Trust; the sidebar works locally'({ page }) {
    await (await waitForActivityItem(page, 'Incident Room')).click();
    await waitForExtensionsActivated(page);
    await setPaneExpanded(page, 'Recent Deploys');
    const welcome = deploysPane(page).locator('.welcome-view-content');
    await welcome.waitFor({ timeout: 30e3 });
    assert.match((await welcome.innerText()).replace(/\s+/g, ' '), /Recent deploys and rollback are unavailable in Restricted Mode: Incident Room runs no git in an untrusted workspace/);
    await welcome.locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).waitFor();
    assert.equal(await deploysPane(page).locator('.monaco-list-row').count(), 0, 'no deploys listed: listing them is git');
    // The workspace's server URL is ignored until the folder is trusted: local mode, nothing dialled.
    const web = webviewFrame(page);
    await web.locator('[data-testid="declare"]').waitFor({ timeout: 60e3 });
    await web.locator('[data-testid="connection-state"]', { hasText: 'online · local' }).waitFor({ timeout: 30e3 });
  },

  async 'Restricted Mode: a status update is not sent to the workspace\'s webhook, and a captured selection runs no git and says so'({ page }) {
    await declareThroughPalette(page, { title: 'Checkout retries at zero', severity: 'SEV2', symptom: 'timeouts at checkout' });
    const web = webviewFrame(page);
    await web.locator('[data-testid="incident-title"]', { hasText: 'Checkout retries' }).waitFor({ timeout: 20e3 });

    await runCommand(page, 'Incident: Post Status Update', { prompts: true });
    await choose(page, 'Post Status Update', 'Internal');
    await answer(page, 'When do you expect the impact to end', '');
    const post = toast(page, 'then post it');
    await post.waitFor({ timeout: 15e3 });
    await post.locator('.monaco-button', { hasText: 'Post' }).first().click();
    const update = web.locator('[data-testid="timeline-entry"]', { hasText: 'Internal update:' }).first();
    await update.waitFor({ timeout: 15e3 });
    assert.doesNotMatch(await update.innerText(), /webhook/, 'no webhook delivery: the workspace\'s URL does not apply');

    // Open the repository's file and capture two lines: in Restricted Mode without git (no status, so no fsmonitor).
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await input.fill('checkout.ts');
    await pickRow(page, 'checkout.ts');
    const editor = page.locator('.part.editor .monaco-editor .view-lines').first();
    await poll(async () => (await editor.innerText()).includes('retries'), { message: 'checkout.ts is open' });
    await editor.click();
    await page.keyboard.press('Control+a');
    await runCommand(page, 'Incident: Add Selection to Timeline', { prompts: true });
    await choose(page, 'What is this code to the incident', 'fact');
    await answer(page, 'Why it matters', 'retries went to 0 in this file');
    const note = web.locator('[data-testid="timeline-entry"]', { hasText: 'retries went to 0' }).first();
    await note.waitFor({ timeout: 15e3 });
    assert.match(await note.innerText(), /\(no git info: workspace not trusted\).*src\/checkout\.ts:1-2/s);
    const told = toast(page, 'without its commit and permalink');
    await told.waitFor({ timeout: 15e3 });
    await told.locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).waitFor();

    assert.deepEqual(listener.contacts, [], 'the workspace\'s server or webhook was contacted');
    assert.deepEqual(ran(), [], 'a program named by the repository ran');
  },

  async 'Restricted Mode: Roll Back is not in the palette, and the sidebar\'s Roll back button is disabled with the reason'({ page, screenshot }) {
    const rows = await paletteRows(page, 'Incident: Roll Back Deploy');
    assert.deepEqual(rows.filter((r) => r.startsWith('Incident: Roll Back Deploy')), [], `the palette offers rollback: ${rows.join(' | ')}`);

    const web = webviewFrame(page);
    const rollback = web.locator('[data-testid="rollback-unavailable"]');
    await rollback.waitFor({ timeout: 15e3 });
    assert.equal(await rollback.isDisabled(), true, 'the Roll back button can be clicked in Restricted Mode');
    assert.match(await rollback.getAttribute('title'), /unavailable in Restricted Mode/);
    const reason = web.locator('[data-testid="rollback-untrusted-reason"]');
    assert.match(await reason.innerText(), /Rollback is unavailable in Restricted Mode.*Manage Workspace Trust/s);
    const shot = await screenshot('trust-restricted-sidebar');
    assert.ok(fs.existsSync(shot));
    assert.deepEqual(ran(), [], 'the rollback command (or any program of the repository) ran');
    assert.deepEqual(listener.contacts, []);
    // The way out is one click away: the link opens VS Code's Workspace Trust editor.
    await web.locator('[data-testid="manage-trust"]').click();
    // (VS Code 1.139 shows it as a modal editor over the workbench; close it again for the tests that follow.)
    const trustEditor = page.locator('.monaco-modal-editor-block', { hasText: 'You are in Restricted Mode' });
    await trustEditor.waitFor({ timeout: 15e3 });
    await page.keyboard.press('Escape');
    await trustEditor.waitFor({ state: 'detached', timeout: 15e3 });
  },

  async 'Restricted Mode: Escalate is not in the palette, and nothing is paged (#11 point 6)'({ page }) {
    const rows = await paletteRows(page, 'Incident: Escalate');
    assert.deepEqual(rows.filter((r) => r.startsWith('Incident: Escalate')), [], `the palette offers Escalate: ${rows.join(' | ')}`);
    assert.deepEqual(listener.contacts, [], 'the workspace\'s escalation URL (or server, or webhook) was contacted');
  },

  async 'Restricted Mode: the sidebar\'s Take on a role someone holds asks first (item 14)'({ page }) {
    await assignThroughPalette(page, 'Scribe', { id: 'sam@example.com', name: 'Sam' });
    const web = webviewFrame(page);
    const scribe = web.locator('[data-testid="role-row"][data-role="scribe"]');
    await poll(async () => /Sam/.test(await scribe.innerText()), { message: 'Sam is Scribe' });
    await scribe.getByRole('button', { name: 'Take Scribe', exact: true }).click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 15e3 });
    assert.match(await dialog.innerText(), /Sam is Scribe of INC-\d+\. Take over\?/);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.match(await scribe.innerText(), /Sam/);
  },

  async 'control: once the folder is trusted, deploys are listed with no program of the repository run, and the workspace\'s server is dialled'({ page, screenshot, workspaceDir }) {
    try {
      await deploysPane(page).locator('.welcome-view-content .monaco-button', { hasText: 'Manage Workspace Trust' }).click();
      const trust = page.locator('.workspace-trust-editor .monaco-button', { hasText: /^\s*Trust( Folder)?\s*$/ }).first();
      await trust.waitFor({ timeout: 20e3 });
      await trust.click();
      await page.locator('.part.statusbar', { hasText: 'Restricted Mode' }).waitFor({ state: 'detached', timeout: 20e3 });
      await closeTrustEditor(page);
      // Trust granted: the view reads the repository now (git runs, with the runner's read-only overrides).
      const rows = deploysPane(page).locator('.monaco-list-row .label-name');
      const labels = await poll(async () => {
        const l = await rows.allInnerTexts();
        return l.length >= 2 && l;
      }, { timeout: 30e3, message: 'the deploys listed after trust was granted' });
      assert.deepEqual(labels.slice(0, 2), ['deploy/2', 'deploy/1']);
      await screenshot('trust-granted-deploys');
      // The restricted settings apply now: the client dials the workspace's server, which the listener hears. (In
      // Restricted Mode it heard nothing, so that silence was the setting being ignored, not a dead listener.)
      await poll(() => listener.contacts.some((c) => c.startsWith('upgrade') || c === 'connection'), { timeout: 30e3, message: 'the workspace\'s server URL dialled once trusted' });
      assert.deepEqual(ran(), [], 'listing deploys ran a program the repository named (gpg.program with log.showSignature)');
      // And the repository really is hostile: plain git, without the overrides, runs its gpg.program at once.
      execFileSync('git', ['log', '--no-walk', '--format=%H', 'deploy/2'], { cwd: workspaceDir, stdio: 'pipe', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
      assert.ok(ran().includes('gpg'), 'the fixture is not hostile: plain git did not run gpg.program');
    } finally {
      listener.server?.closeAllConnections();
      await new Promise((resolve) => (listener.server ? listener.server.close(() => resolve()) : resolve()));
    }
  },

  async 'control: once trusted, the palette offers Roll Back Deploy (its absence before was the trust condition)'({ page }) {
    await closeTrustEditor(page);
    const rows = await paletteRows(page, 'Incident: Roll Back Deploy');
    assert.ok(rows.some((r) => r.startsWith('Incident: Roll Back Deploy')), rows.join(' | '));
  },
};
