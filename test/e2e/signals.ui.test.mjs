// Detect, in the real workbench: an alert posted to the channel server as Alertmanager's webhook would appears in
// the sidebar (and, mapped to SEV1, as a notification); Declare from Signal opens the declare flow filled in from
// it; the incident's detection time is the alert's start; the alert's resolution lands on the timeline.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startChannelServer } from './channelServer.mjs';
import {
  REPO_ROOT, launchBrowser, notificationToasts, openWorkbench, pickRow, screenshot, startCodeServer, waitForActivityItem, webviewFrame,
} from './codeServer.mjs';

export const workbench = false;
// A channel server, a code-server and a browser start before anything is checked.
export const timeout = 240e3;

const CHANNEL = 'e2e-alerts';
const FIXTURE = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'alertmanager', 'firing.json'), 'utf8'));

/** The captured Alertmanager payload with one alert of it, started `minutesAgo`, firing or resolved now. */
function payload(status, minutesAgo) {
  const [first] = FIXTURE.alerts;
  const startsAt = new Date(Date.now() - minutesAgo * 60e3).toISOString();
  const endsAt = status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z';
  return { ...FIXTURE, status, alerts: [{ ...first, status, startsAt, endsAt }] };
}

async function postAlerts(channelUrl, body) {
  const res = await fetch(`${channelUrl.replace(/^ws/, 'http')}/v1/channels/${CHANNEL}/alerts`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.equal(res.status, 202, await res.text());
}

/** The quick input showing `prompt` holds `value` already: check it and take it with Enter. */
async function keep(page, prompt, value) {
  const widget = page.locator('.quick-input-widget');
  await page.waitForFunction(`(() => {
    const w = document.querySelector('.quick-input-widget');
    const text = [w?.querySelector('.quick-input-message')?.textContent, w?.querySelector('.quick-input-title')?.textContent, w?.querySelector('.quick-input-box input')?.getAttribute('placeholder')].join(' ');
    return w && w.style.display !== 'none' && text.includes(${JSON.stringify(prompt)});
  })()`, undefined, { timeout: 15e3 });
  const input = widget.locator('.quick-input-box input');
  assert.equal(await input.inputValue(), value, `"${prompt}" starts filled in from the alert`);
  await page.keyboard.press('Enter');
  await page.waitForFunction(`document.querySelector('.quick-input-box input')?.value !== ${JSON.stringify(value)} || document.querySelector('.quick-input-widget')?.style.display === 'none'`, undefined, { timeout: 15e3 });
}

export const tests = {
  async 'an alert from the webhook shows in the sidebar; Declare from Signal is filled in; detection = the alert start; its resolution lands on the timeline'() {
    const channel = await startChannelServer();
    let context;
    let server;
    let page;
    try {
      server = await startCodeServer({ label: 'signals', settings: { 'incidentRoom.server.url': channel.url, 'incidentRoom.channel': CHANNEL, 'incidentRoom.user.id': 'dana@example.com', 'incidentRoom.user.name': 'Dana' } });
      context = await launchBrowser();
      page = await openWorkbench(context, server);
      await (await waitForActivityItem(page, 'Incident Room')).click();
      const web = webviewFrame(page);
      await web.locator('[data-testid="connection-state"]', { hasText: 'online' }).waitFor({ timeout: 60e3 });

      // Fired 12 minutes ago; the webhook tells the channel now.
      const alert = FIXTURE.alerts[0];
      await postAlerts(channel.url, payload('firing', 12));
      const card = web.locator(`[data-testid="signal"][data-fingerprint="${alert.fingerprint}"]`);
      await card.waitFor({ timeout: 10e3 });
      const text = await card.innerText();
      assert.match(text, /HighErrorRate/);
      assert.match(text, /SEV1/, 'severity=critical maps to SEV1');
      assert.match(text, /Checkout 5xx above 5% for 5 minutes/);
      assert.match(text, /service=checkout, job=checkout-api, region=eu-west-1/);
      assert.match(text, /firing 1[12]m/);
      assert.match(text, /Graph/);
      assert.match(text, /Runbook/);
      // Mapped to SEV1 and linked to nothing: a notification offers to declare.
      const toast = notificationToasts(page).filter({ hasText: 'HighErrorRate is firing' });
      await toast.waitFor({ timeout: 10e3 });
      await screenshot(page, 'signals-firing');

      // Declare from the toast: the flow starts filled in; Enter through it.
      await toast.locator('.monaco-button', { hasText: /^Declare$/ }).click();
      await keep(page, 'Title', alert.annotations.summary);
      await page.locator('.quick-input-widget .monaco-list-row').first().filter({ hasText: 'SEV1' }).waitFor({ timeout: 15e3 });
      assert.match(await page.locator('.quick-input-widget .monaco-list-row').first().innerText(), /severity=critical/);
      await pickRow(page, 'SEV1');
      await keep(page, 'Symptom', alert.annotations.description);
      await keep(page, 'Scope', 'service=checkout, job=checkout-api, region=eu-west-1, instance=checkout-api-7d9f8-abcde:8080');
      const started = new Date(Date.now() - 12 * 60e3);
      const detectInput = page.locator('.quick-input-widget .quick-input-box input');
      await page.locator('.quick-input-widget', { hasText: 'The alert started firing then' }).waitFor({ timeout: 15e3 });
      const detected = await detectInput.inputValue();
      assert.ok(Math.abs(Date.parse(detected) - started.getTime()) < 60e3, `detection prefilled with the alert start, got ${detected}`);
      await page.keyboard.press('Enter');

      await web.locator('[data-testid="incident-title"]', { hasText: alert.annotations.summary }).waitFor({ timeout: 15e3 });
      // Detected 12 minutes ago, declared just now: the clock counts from detection.
      assert.match(await web.locator('[data-testid="incident-elapsed"]').innerText(), /^1[12]m$/);
      await web.locator('[data-testid="timeline-entry"]', { hasText: 'Alert HighErrorRate linked' }).waitFor({ timeout: 10e3 });
      await card.locator('[data-testid="signal-linked"]').waitFor({ timeout: 10e3 });

      // Monitoring says it is over: the resolution lands on the incident's timeline, and the card goes.
      await postAlerts(channel.url, payload('resolved', 12));
      await web.locator('[data-testid="timeline-entry"]', { hasText: 'Alert HighErrorRate resolved' }).waitFor({ timeout: 10e3 });
      await card.waitFor({ state: 'detached', timeout: 10e3 });
      await screenshot(page, 'signals-resolved');
    } catch (e) {
      if (page) await screenshot(page, 'failed-signals').catch(() => {});
      throw e;
    } finally {
      await context?.close().catch(() => {});
      await server?.stop();
      await channel.stop();
    }
  },
};
