// Terminal capture (#16) with a redaction pattern that does not compile: the error names the setting and the
// pattern, and nothing is captured (recording without a pattern the user asked for would leak what it hides). Its
// own workbench: the bad setting is there from the start, as a user would have it.
import assert from 'node:assert/strict';
import { notificationToasts, poll, runCommand } from './codeServer.mjs';
import { openSidebarAndDeclare } from './incidentPrompts.mjs';

export const workbench = {
  settings: {
    'incidentRoom.user.id': 'casey@example.com', 'incidentRoom.user.name': 'Casey',
    'terminal.integrated.defaultProfile.linux': 'bash',
    'terminal.integrated.profiles.linux': { bash: { path: 'bash' } },
    'terminal.integrated.gpuAcceleration': 'off',
    'incidentRoom.terminal.redact': ['tenant-\\d+', '(unclosed'],
  },
  timeout: 120e3,
};

export const tests = {
  async 'a redact pattern that does not compile is named and capture refuses to start'({ page }) {
    await openSidebarAndDeclare(page, { title: 'Login errors', severity: 'SEV3' });
    await runCommand(page, 'Terminal: Create New Terminal');
    await page.locator('.part.panel .terminal-wrapper.active .xterm').first().waitFor({ timeout: 30e3 });
    await runCommand(page, 'Incident: Capture This Terminal to the Timeline');
    const toast = notificationToasts(page).filter({ hasText: 'incidentRoom.terminal.redact is invalid' });
    await toast.first().waitFor({ timeout: 15e3 });
    assert.match(await toast.first().innerText(), /pattern 2 "\(unclosed" is not a regular expression \(Unterminated group\)\. Nothing is captured until it is fixed\./);
    assert.match(await toast.first().innerText(), /Open Settings/);
    await poll(async () => (await page.locator('.statusbar-item', { hasText: /SEV3 INC-\d+/ }).count()) > 0, { message: 'the incident is in the status bar' });
    assert.equal(await page.locator('.statusbar-item', { hasText: 'Capturing terminal' }).count(), 0, 'nothing is being captured');
  },
};
