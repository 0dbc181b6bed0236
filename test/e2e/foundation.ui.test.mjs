// The extension, installed from this repo's build, in a real VS Code workbench: its activity-bar container opens and
// its log command shows the Incident Room output channel.
import assert from 'node:assert/strict';
import { outputPanel, poll, runCommand, waitForActivityItem, waitForExtensionsActivated, webviewFrame } from './codeServer.mjs';

export const tests = {
  async 'the Incident Room container opens from the activity bar'({ page, screenshot }) {
    const item = await waitForActivityItem(page, 'Incident Room');
    await item.click();
    // the side bar now shows the container: its title names the extension
    const title = page.locator('.part.sidebar .composite.title');
    await title.waitFor();
    assert.match(await title.innerText(), /Incident Room/i);
    await waitForExtensionsActivated(page);
    // the Incident view is a webview: it has rendered something of its own (whatever the sidebar shows today)
    await webviewFrame(page).locator('body *:visible').first().waitFor({ timeout: 30e3 });
    await screenshot('foundation-container');
  },

  async '"Incident: Show Log" shows the Incident Room output channel'({ page }) {
    await runCommand(page, 'Incident: Show Log');
    const { channel, text } = await poll(async () => {
      const shown = await outputPanel(page);
      return shown.channel === 'Incident Room' && /activated in/.test(shown.text) && shown;
    }, { message: 'the Output panel did not show the Incident Room channel with its activation line' });
    assert.equal(channel, 'Incident Room');
    assert.match(text, /\[info\] activated in [\d.]+ ms/);
  },
};
