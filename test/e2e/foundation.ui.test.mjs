// The extension, installed from this repo's build, in a real VS Code workbench: its activity-bar container opens and
// its log command shows the Incident Room output channel.
import assert from 'node:assert/strict';
import { CLOSED_GALLERY_URL, outputPanel, poll, runCommand, waitForActivityItem, waitForExtensionsActivated, webviewFrame } from './codeServer.mjs';

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

  async 'the workbench looks up extensions only on this machine: its gallery is a closed loopback port'({ page, server }) {
    // The workbench's product configuration, as code-server serves it to the page, names the gallery it will ask.
    const html = await (await fetch(server.workbenchUrl())).text();
    const m = /id="vscode-workbench-web-configuration" data-settings="([^"]*)"/.exec(html);
    assert.ok(m, 'the workbench page has no web configuration');
    const config = JSON.parse(m[1].replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
    const gallery = config.productConfiguration?.extensionsGallery;
    assert.ok(gallery, 'no extensionsGallery in the product configuration');
    assert.ok(gallery.serviceUrl.startsWith(`${CLOSED_GALLERY_URL}/`), gallery.serviceUrl);
    assert.doesNotMatch(JSON.stringify(gallery), /open-vsx|marketplace|https:/);
    // And it really asks there and nowhere else: a search in the Extensions view fails at once on the closed port.
    await runCommand(page, 'Extensions: Install Extensions');
    await page.locator('.extensions-viewlet .suggest-input-container').first().click();
    await page.keyboard.type('python');
    const error = page.locator('.extensions-viewlet .message', { hasText: 'Error while fetching extensions' });
    await error.waitFor({ timeout: 30e3 });
    assert.match(await error.innerText(), /ECONNREFUSED 127\.0\.0\.1:1\b/);
  },
};
