// Detect, in the real workbench: an alert fired in a real Prometheus Alertmanager (Debian's package, started here on
// a free loopback port, its webhook pointed at a real channel server) appears in the sidebar and, mapped to SEV1, as
// a notification; Declare opens the declare flow filled in from it; the incident's detection time is the alert's
// start; a second alert is attached from its card; when Alertmanager resolves them, the resolutions land on the
// incident's timeline.
import assert from 'node:assert/strict';
import { tsImport } from 'tsx/esm/api';
import { startChannelServer } from './channelServer.mjs';
import {
  launchBrowser, notificationToasts, openWorkbench, pickRow, screenshot, startCodeServer, waitForActivityItem, webviewFrame,
} from './codeServer.mjs';

const { FIXTURE_ALERTS, alertmanagerBin, startAlertmanager } = await tsImport('../support/alertmanager.ts', import.meta.url);

export const workbench = false;
// A channel server, an Alertmanager, a code-server and a browser start before anything is checked.
export const timeout = 240e3;

const CHANNEL = 'e2e-alerts';
const ALERT = FIXTURE_ALERTS[0];

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
  async 'an alert fired in a real Alertmanager shows in the sidebar; Declare from it is filled in; detection = the alert start; its resolution lands on the timeline'() {
    const found = alertmanagerBin();
    if ('missing' in found) {
      console.log(`      skipped: ${found.missing}`);
      return 'skipped';
    }
    const channel = await startChannelServer();
    let am;
    let context;
    let server;
    let page;
    try {
      am = await startAlertmanager({ webhookUrl: `${channel.url.replace(/^ws/, 'http')}/v1/channels/${CHANNEL}/alerts` });
      server = await startCodeServer({ label: 'signals', settings: { 'incidentRoom.server.url': channel.url, 'incidentRoom.channel': CHANNEL, 'incidentRoom.user.id': 'dana@example.com', 'incidentRoom.user.name': 'Dana' } });
      context = await launchBrowser();
      page = await openWorkbench(context, server);
      await (await waitForActivityItem(page, 'Incident Room')).click();
      const web = webviewFrame(page);
      await web.locator('[data-testid="connection-state"]', { hasText: 'online' }).waitFor({ timeout: 60e3 });

      // Firing for 12 minutes when Alertmanager gets it; its webhook tells the channel.
      const alert = ALERT;
      const pushed = await am.push([{ ...ALERT, startsAt: new Date(Date.now() - 12 * 60e3).toISOString() }]);
      const card = web.locator('[data-testid="signal"]', { hasText: 'HighErrorRate' });
      await card.waitFor({ timeout: 20e3 });
      const [held] = await am.alerts();
      assert.equal(await card.getAttribute('data-fingerprint'), held.fingerprint, 'the signal is the alert Alertmanager holds');
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

      // A second alert of the same outage fires: its card offers Attach to the focused incident, which links it.
      const latency = {
        labels: { alertname: 'CheckoutLatencyHigh', severity: 'warning', service: 'checkout', region: 'eu-west-1', job: 'checkout-api' },
        annotations: { summary: 'Checkout p99 above 2 s', runbook_url: 'https://runbooks.example.com/checkout/latency' },
        startsAt: new Date(Date.now() - 3 * 60e3).toISOString(),
      };
      const pushedLatency = await am.push([latency]);
      const second = web.locator('[data-testid="signal"]', { hasText: 'CheckoutLatencyHigh' });
      await second.waitFor({ timeout: 20e3 });
      assert.equal(await second.locator('[data-testid="signal-linked"]').count(), 0, 'not linked before Attach');
      await second.locator('[data-testid="signal-attach"]').click();
      await web.locator('[data-testid="timeline-entry"]', { hasText: 'Alert CheckoutLatencyHigh linked' }).waitFor({ timeout: 15e3 });
      await second.locator('[data-testid="signal-linked"]').waitFor({ timeout: 10e3 });
      await screenshot(page, 'signals-attached');

      // Alertmanager says it is over: each resolution lands on the incident's timeline, and the cards go.
      await am.resolve(pushed);
      await am.resolve(pushedLatency);
      await web.locator('[data-testid="timeline-entry"]', { hasText: 'Alert HighErrorRate resolved' }).waitFor({ timeout: 20e3 });
      await web.locator('[data-testid="timeline-entry"]', { hasText: 'Alert CheckoutLatencyHigh resolved' }).waitFor({ timeout: 20e3 });
      await card.waitFor({ state: 'detached', timeout: 10e3 });
      await second.waitFor({ state: 'detached', timeout: 10e3 });
      await screenshot(page, 'signals-resolved');
    } catch (e) {
      if (page) await screenshot(page, 'failed-signals').catch(() => {});
      throw e;
    } finally {
      await context?.close().catch(() => {});
      await server?.stop();
      await am?.stop();
      await channel.stop();
    }
  },
};
