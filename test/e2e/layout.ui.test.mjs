// The sidebar's layout at the widths and in the themes people use, offline, over a realistic incident: the real page
// (test/e2e/sidebarPage.mjs: the extension's HTML, CSP, dist/webview.js and media/sidebar.css) in Chromium, no
// workbench needed. Nothing may overflow the sidebar, Reconnect must stay in view, and no word may break inside
// itself. Screenshots go to test-output/screenshots/layout-<theme>-<width>.png.
import assert from 'node:assert/strict';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { sidebarState } from '../../bench/extensionState.mjs';
import { CHROMIUM_ARGS, LIGHT_THEME_CSS, serveSidebar, THEME_CSS, VSCODE_API_STUB } from './sidebarPage.mjs';

export const workbench = false;

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const SHOTS = path.join(REPO, 'test-output', 'screenshots');

/** A realistic incident (30 timeline entries from the real core), offline with a long reason, one role vacant. */
function offlineState() {
  const state = sidebarState(30).state;
  state.connection = {
    status: 'offline', queued: 2, mode: 'shared',
    text: 'offline · cannot reach ws://127.0.0.1:7077/v1/channels/payments-oncall: connect ECONNREFUSED 127.0.0.1:7077 · 2 queued',
  };
  state.incident.roles = state.incident.roles.map((r) => (r.role === 'communications' ? { ...r, holder: null, isMe: false } : r));
  return state;
}

async function audit(theme, css) {
  const { server, url } = await serveSidebar(REPO, new Map(), css);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  try {
    for (const width of [250, 300, 400]) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await page.addInitScript(VSCODE_API_STUB);
      await page.goto(url);
      await page.waitForFunction(() => window.__posted.some((p) => p.message.type === 'ready'));
      await page.evaluate((s) => window.postMessage({ type: 'state', state: s }, '*'), offlineState());
      await page.locator('[data-testid="timeline-entry"]').first().waitFor();
      const m = await page.evaluate(() => {
        const vw = document.documentElement.clientWidth;
        const overflowing = [...document.querySelectorAll('#root *')]
          .filter((e) => e.getBoundingClientRect().right > vw + 0.5)
          .map((e) => `${e.tagName.toLowerCase()}.${e.className} "${(e.textContent ?? '').slice(0, 40)}"`);
        const reconnect = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Reconnect');
        const r = reconnect?.getBoundingClientRect();
        // A word broken inside itself wraps over more than one line box.
        const lines = (el) => { const range = document.createRange(); range.selectNodeContents(el); return new Set([...range.getClientRects()].map((c) => Math.round(c.top))).size; };
        const vacant = document.querySelector('.roles .holder.vacant');
        const roleNames = [...document.querySelectorAll('.roles .role-name')].map((e) => ({ text: e.textContent, lines: lines(e) }));
        return {
          scrollWidth: document.documentElement.scrollWidth, vw, overflowing: overflowing.slice(0, 5),
          reconnect: r && { left: r.left, right: r.right, width: r.width },
          vacant: vacant && { text: vacant.textContent, lines: lines(vacant) }, roleNames,
        };
      });
      const where = `${theme} at ${width} px`;
      assert.equal(m.scrollWidth, m.vw, `${where}: the sidebar scrolls sideways; overflowing: ${m.overflowing.join(', ')}`);
      assert.deepEqual(m.overflowing, [], where);
      assert.ok(m.reconnect && m.reconnect.width > 0 && m.reconnect.right <= m.vw, `${where}: Reconnect is out of view: ${JSON.stringify(m.reconnect)}`);
      assert.deepEqual(m.vacant, { text: 'unassigned', lines: 1 }, `${where}: "unassigned" breaks inside itself`);
      for (const r of m.roleNames) assert.equal(r.lines, 1, `${where}: the role name "${r.text}" breaks`);
      await page.screenshot({ path: path.join(SHOTS, `layout-${theme}-${width}.png`) });
      await page.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
}

export const tests = {
  async 'offline, dark theme, 250 / 300 / 400 px: nothing overflows, Reconnect stays in view, no word breaks inside itself'() {
    await audit('dark', THEME_CSS);
  },
  async 'offline, light theme, 250 / 300 / 400 px: the same'() {
    await audit('light', LIGHT_THEME_CSS);
  },
};
