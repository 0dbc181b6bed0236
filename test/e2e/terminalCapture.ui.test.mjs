// Terminal capture (#16) in the real workbench: a real bash with VS Code's shell integration, its commands on the
// incident's timeline with their exit codes and a token redacted while capture is on, nothing once it is stopped, and
// a shell without integration refused with why instead of captured silently empty.
import assert from 'node:assert/strict';
import { notificationToasts, poll, runCommand, webviewFrame } from './codeServer.mjs';
import { addNoteThroughPalette, openSidebarAndDeclare } from './incidentPrompts.mjs';

export const workbench = {
  settings: {
    'incidentRoom.user.id': 'casey@example.com', 'incidentRoom.user.name': 'Casey',
    'terminal.integrated.defaultProfile.linux': 'bash',
    'terminal.integrated.profiles.linux': { bash: { path: 'bash' }, 'plain sh': { path: '/bin/sh' } },
    // the DOM renderer (headless Chromium has no GPU): the terminal's text is in the page, for the waits below
    'terminal.integrated.gpuAcceleration': 'off',
    'terminal.integrated.shellIntegration.enabled': true,
  },
  timeout: 150e3,
};

/** The terminal panel's active xterm. */
const xterm = (page) => page.locator('.part.panel .terminal-wrapper.active .xterm').first();

/** How many commands the active terminal's shell integration has marked finished (its gutter decorations). */
async function finishedCommands(page) {
  return page.locator('.part.panel .terminal-wrapper.active .terminal-command-decoration:not(.codicon-terminal-decoration-incomplete)').count();
}

/** Type `line` into the active terminal and wait until shell integration marks it finished. */
async function run(page, line) {
  const before = await finishedCommands(page);
  await xterm(page).click();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
  await poll(async () => (await finishedCommands(page)) > before, { timeout: 20e3, message: `"${line}" finished in the terminal` });
}

export const tests = {
  async 'with capture on, echo ok, false and a --token command land on the timeline with exit codes and the token redacted'({ page, screenshot }) {
    const web = await openSidebarAndDeclare(page, { title: 'Payments API timing out', severity: 'SEV2', symptom: 'p99 8 s on /pay' });

    await runCommand(page, 'Terminal: Create New Terminal');
    await xterm(page).waitFor({ timeout: 30e3 });
    // A command before capture: proves the shell integration runs (its decoration appears) and must never be recorded.
    await run(page, 'echo before-capture');

    await runCommand(page, 'Incident: Capture This Terminal to the Timeline');
    const marker = page.locator('.statusbar-item', { hasText: 'Capturing terminal bash' });
    await marker.waitFor({ timeout: 15e3 });
    // the marker on the terminal itself: the record button in the terminal view's title bar (it stops the capture)
    const stopButton = page.locator('.part.panel .title-actions .action-label[aria-label="Stop Capturing Terminal"]');
    await stopButton.waitFor({ timeout: 10e3 });

    await run(page, 'echo ok');
    await run(page, 'false');
    await run(page, 'echo --token abc123');

    const entry = (text) => web.locator('[data-testid="timeline-entry"]', { hasText: text });
    await entry('Ran `echo --token [redacted]`').waitFor({ timeout: 20e3 });
    assert.match(await entry('Ran `echo ok`').innerText(), /Ran `echo ok` — exit 0( after \d+\.\d s)? in …\/workspace/);
    assert.match(await entry('Ran `false`').innerText(), /Ran `false` — exit 1\b/);
    assert.match(await entry('Ran `echo --token [redacted]`').innerText(), /— exit 0\b/);
    const timeline = await web.locator('[data-testid="timeline-entry"]').allInnerTexts();
    assert.ok(!timeline.some((t) => t.includes('abc123')), 'the token never reaches the timeline');
    assert.ok(!timeline.some((t) => t.includes('before-capture')), 'a command run before capture is not recorded');
    assert.match(await marker.innerText(), /Capturing terminal bash/);
    await screenshot('terminal-capture-on');
  },

  async 'stopped with one click on the status bar, the terminal\'s next command does not appear'({ page, screenshot }) {
    const web = webviewFrame(page);
    await page.locator('.statusbar-item', { hasText: 'Capturing terminal bash' }).click();
    await page.locator('.statusbar-item', { hasText: 'Capturing terminal' }).waitFor({ state: 'detached', timeout: 10e3 });
    await page.locator('.part.panel .title-actions .action-label[aria-label="Stop Capturing Terminal"]').waitFor({ state: 'detached', timeout: 10e3 });
    await run(page, 'echo after-stop');
    // A marker appended after the command finished: once it is on the timeline, anything the command caused would be too.
    await addNoteThroughPalette(page, 'marker after the stopped capture', 'note');
    await web.locator('[data-testid="timeline-entry"]', { hasText: 'marker after the stopped capture' }).waitFor({ timeout: 15e3 });
    const timeline = await web.locator('[data-testid="timeline-entry"]').allInnerTexts();
    assert.ok(!timeline.some((t) => t.includes('after-stop')), 'nothing is captured after the stop');
    assert.equal(timeline.filter((t) => t.startsWith('Ran ') || t.includes('Ran `')).length, 3, 'exactly the three captured commands');
    await screenshot('terminal-capture-stopped');
  },

  async 'a shell without integration is refused with how to turn it on, not captured silently empty'({ page, screenshot }) {
    // the palette lists this one without its category
    await runCommand(page, 'Create New Terminal (With Profile)', { prompts: true });
    // (the profile rows' labels start with their icon, so pick by text)
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'plain sh' }).first().click({ timeout: 15e3 });
    await poll(async () => (await page.locator('.part.panel .terminal-wrapper').count()) === 2, { timeout: 30e3, message: 'the sh terminal opened beside bash' });
    await page.locator('.part.panel .terminal-wrapper.active .xterm').first().waitFor({ timeout: 30e3 });
    await runCommand(page, 'Incident: Capture This Terminal to the Timeline');
    const toast = notificationToasts(page).filter({ hasText: 'has no shell integration' });
    await toast.waitFor({ timeout: 20e3 });
    const text = await toast.innerText();
    assert.match(text, /terminal\.integrated\.shellIntegration\.enabled/);
    assert.match(text, /Nothing is being captured/);
    assert.match(text, /Open Setting/);
    assert.equal(await page.locator('.statusbar-item', { hasText: 'Capturing terminal' }).count(), 0);
    await screenshot('terminal-capture-no-integration');
  },

};
