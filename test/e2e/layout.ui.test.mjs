// The sidebar's layout at the widths and in the themes people use, over a realistic incident (long title, four roles,
// six facts and guesses, a rollback with five commands, three action items, two triages, 30 timeline entries; see
// realisticIncident.mjs), offline: the real page (test/e2e/sidebarPage.mjs: the extension's HTML, CSP,
// dist/webview.js and media/sidebar.css) in Chromium, no workbench needed. Nothing may overflow the sidebar, nothing
// scrolls sideways, no word breaks inside itself, nothing is cut off without a tooltip, Reconnect stays in view, and
// the incident card with "what needs me" is seen without scrolling in a 900 px tall window. Screenshots go to
// test-output/screenshots/layout-<theme>-<width>.png.
import assert from 'node:assert/strict';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { realisticEvents, realisticState } from './realisticIncident.mjs';
import { CHROMIUM_ARGS, HIGH_CONTRAST_THEME_CSS, LIGHT_THEME_CSS, serveSidebar, THEME_CSS, VSCODE_API_STUB } from './sidebarPage.mjs';

export const workbench = false;

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const SHOTS = path.join(REPO, 'test-output', 'screenshots');
const HEIGHT = 900;

/** Everything measured on the page, in the page. */
function measure() {
  const vw = document.documentElement.clientWidth;
  const visible = (e) => e.getClientRects().length > 0;
  const all = [...document.querySelectorAll('#root *')].filter(visible);
  const describe = (e) => `${e.tagName.toLowerCase()}.${e.className} "${(e.textContent ?? '').slice(0, 40)}"`;
  const overflowing = all.filter((e) => e.getBoundingClientRect().right > vw + 0.5).map(describe);
  // A word broken inside itself is laid out over more than one line box. A line may end after a hyphen (eu- / west-1,
  // as browsers and editors break), so each hyphen-joined part is a word of its own. Tokens too long for any line (a
  // URL, a full commit id) may wrap: they are allowed to, they would overflow otherwise.
  const broken = [];
  const walker = document.createTreeWalker(document.getElementById('root'), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement || !visible(node.parentElement)) continue;
    for (const m of node.data.matchAll(/[^\s-]+-?/g)) {
      if (m[0].length > 24) continue;
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (tops.size > 1) broken.push(`"${m[0]}" in ${describe(node.parentElement)}`);
    }
  }
  // Cut off (clamped, ellipsis, hidden overflow) only with a tooltip that has the whole of it.
  const cutOff = all.filter((e) => {
    const style = getComputedStyle(e);
    if (style.overflow === 'visible' && style.overflowX === 'visible' && style.overflowY === 'visible') return false;
    return (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1) && !e.title;
  }).map(describe);
  const box = (sel) => { const el = document.querySelector(sel); if (!el) return null; const r = el.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width }; };
  const reconnect = box('[data-testid="reconnect"]');
  const primary = [...document.querySelectorAll('[data-testid="incident-card"] .btn.primary')].length;
  const cardButtons = [...document.querySelectorAll('[data-testid="incident-card"] button')].map((b) => b.textContent);
  const unnamed = [...document.querySelectorAll('#root button')].filter((b) => !(b.getAttribute('aria-label') || b.textContent.trim())).map(describe);
  const mitigation = [...document.querySelectorAll('[data-testid="timeline-entry"]')].find((e) => e.textContent.includes('Mitigation started (rollback)'));
  const triage = document.querySelector('[data-testid="triage"]');
  return {
    triage: triage && {
      box: box('[data-testid="triage"]'), text: triage.innerText, impacts: triage.querySelectorAll('[data-testid="triage-impact"]').length,
      // Right under the card, or under the firing alerts that follow it.
      afterCard: !!document.querySelector('[data-testid="incident-card"] + [data-testid="triage"], [data-testid="incident-card"] + [data-testid="signals"] + [data-testid="triage"]'),
      suggests: document.querySelector('[data-testid="severity-suggestion"]')?.textContent ?? null,
    },
    vw, scrollWidth: document.documentElement.scrollWidth, overflowing: overflowing.slice(0, 5), broken: broken.slice(0, 5), cutOff: cutOff.slice(0, 5),
    reconnect, card: box('[data-testid="incident-card"]'), needs: box('[data-testid="needs-me"]'), primary, cardButtons, unnamed,
    mitigationEntry: mitigation && { height: mitigation.getBoundingClientRect().height, fold: !!mitigation.querySelector('.fold'), text: mitigation.innerText },
    lineHeight: parseFloat(getComputedStyle(document.body).lineHeight) || 17,
  };
}

async function audit(theme, css) {
  const { server, url } = await serveSidebar(REPO, new Map(), css);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  try {
    for (const width of [250, 300, 400]) {
      const page = await browser.newPage({ viewport: { width, height: HEIGHT } });
      await page.clock.setFixedTime(new Date(realisticEvents().now)); // the incident as seen 31 minutes in
      await page.addInitScript(VSCODE_API_STUB);
      await page.goto(url);
      await page.waitForFunction(() => window.__posted.some((p) => p.message.type === 'ready'));
      await page.evaluate((s) => window.postMessage({ type: 'state', state: s }, '*'), realisticState());
      await page.locator('[data-testid="timeline-entry"]').first().waitFor();
      const m = await page.evaluate(measure);
      const where = `${theme} at ${width} px`;
      await page.screenshot({ path: path.join(SHOTS, `layout-${theme}-${width}.png`), fullPage: true });
      assert.equal(m.scrollWidth, m.vw, `${where}: the sidebar scrolls sideways; overflowing: ${m.overflowing.join(', ')}`);
      assert.deepEqual(m.overflowing, [], where);
      assert.deepEqual(m.broken, [], `${where}: words broken inside themselves`);
      assert.deepEqual(m.cutOff, [], `${where}: cut off without a tooltip`);
      assert.deepEqual(m.unnamed, [], `${where}: buttons without an accessible name`);
      assert.ok(m.reconnect && m.reconnect.width > 0 && m.reconnect.right <= m.vw && m.reconnect.bottom <= HEIGHT, `${where}: Reconnect is out of view: ${JSON.stringify(m.reconnect)}`);
      assert.ok(m.card && m.needs && m.needs.bottom <= HEIGHT, `${where}: the card and "what needs me" are not seen without scrolling: ${JSON.stringify({ card: m.card, needs: m.needs })}`);
      assert.ok(m.primary <= 1, `${where}: ${m.primary} primary buttons on the card`);
      assert.ok(m.cardButtons.length <= 1, `${where}: the card carries more than one action: ${m.cardButtons.join(', ')}`);
      // The latest triage right under the card, compact, with its suggestion beside the severity (never in its place).
      assert.ok(m.triage?.afterCard, `${where}: no triage block right under the card`);
      assert.equal(m.triage.impacts, 3, `${where}: the three impacts`);
      assert.match(m.triage.text, /Who\s+Some users · ~1,200/);
      assert.match(m.triage.text, /SEV2 suggested: customer impact confirmed for some users; financial impact confirmed; data integrity impact suspected \(current SEV1\)/);
      assert.equal(m.triage.suggests, 'suggests SEV2');
      // Who owns what: mine first, each with its owner, Done and Reassign on the row.
      const workstreams = await page.locator('[data-testid="workstream"]').allInnerTexts();
      assert.equal(workstreams.length, 2, `${where}: two open workstreams`);
      assert.match(workstreams[0], /Keep support and finance posted on refunds[\s\S]*Carol Chen \(you\)[\s\S]*Done[\s\S]*Reassign/);
      assert.match(workstreams[1], /Find what holds payments-gateway connections[\s\S]*Bob Baker/);
      await page.locator('[data-testid="workstreams"]').screenshot({ path: path.join(SHOTS, `layout-${theme}-${width}-workstreams.png`) });
      // The repo's prepared mitigations for checkout, lowest risk first, each with its Run on the row.
      const prepared = page.locator('[data-testid="prepared-row"]');
      assert.deepEqual(await prepared.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id'))), ['receipts-off', 'shift-eu-central', 'restart-checkout'], `${where}: prepared, lowest risk first`);
      for (const run of await prepared.locator('[data-testid="prepared-run"]').all()) {
        const b = await run.boundingBox();
        assert.ok(b && b.x + b.width <= width, `${where}: a Run button is out of view`);
      }
      await page.locator('[data-testid="prepared-mitigations"]').screenshot({ path: path.join(SHOTS, `layout-${theme}-${width}-prepared.png`) });
      assert.ok(m.mitigationEntry?.fold, `${where}: the rollback's commands are not folded`);
      assert.ok(m.mitigationEntry.height < m.lineHeight * 4.5, `${where}: the folded rollback entry is ${m.mitigationEntry.height} px tall: ${m.mitigationEntry.text}`);
      assert.doesNotMatch(m.mitigationEntry.text, /git revert/, `${where}: a folded entry shows its commands`);
      // One click unfolds it, with every command.
      const entry = page.locator('[data-testid="timeline-entry"]', { hasText: 'Mitigation started (rollback)' });
      await entry.locator('.fold').click();
      await entry.locator('.text.full').waitFor();
      assert.match(await entry.innerText(), /git revert --no-edit[\s\S]*deploy\.sh/);
      assert.equal(await entry.locator('.fold').getAttribute('aria-expanded'), 'true');
      const unfolded = await page.evaluate(measure);
      assert.deepEqual(unfolded.overflowing, [], `${where}, unfolded`);
      assert.equal(unfolded.scrollWidth, unfolded.vw, `${where}, unfolded: the sidebar scrolls sideways`);
      // Before any triage: a plain prompt to record one, and nothing suggested.
      const untriaged = realisticState();
      untriaged.incident = { ...untriaged.incident, triage: null, suggestion: null };
      await page.evaluate((s) => window.postMessage({ type: 'state', state: s }, '*'), untriaged);
      await page.locator('[data-testid="triage-missing"]').waitFor();
      await page.evaluate(() => window.scrollTo(0, 0));
      const bare = await page.evaluate(measure);
      await page.screenshot({ path: path.join(SHOTS, `layout-${theme}-${width}-untriaged.png`), clip: { x: 0, y: 0, width, height: Math.min(HEIGHT, Math.ceil(bare.triage.box.bottom) + 8) } });
      assert.deepEqual(bare.overflowing, [], `${where}, untriaged`);
      assert.deepEqual(bare.broken, [], `${where}, untriaged: words broken inside themselves`);
      assert.match(bare.triage.text, /Triage not recorded/);
      assert.match(bare.triage.text, /Record Triage/);
      assert.equal(bare.triage.suggests, null);
      // Firing alerts under the card: a long rule name, many labels, three links; none breaks the layout.
      await page.evaluate((s) => window.postMessage({ type: 'state', state: s }, '*'), realisticState({ signals: true }));
      await page.locator('[data-testid="signals"]').waitFor();
      await page.evaluate(() => window.scrollTo(0, 0));
      const alerts = await page.evaluate(measure);
      const box = await page.locator('[data-testid="signals"]').boundingBox();
      await page.screenshot({ path: path.join(SHOTS, `layout-${theme}-${width}-alerts.png`), clip: { x: 0, y: 0, width, height: Math.min(HEIGHT * 2, Math.ceil(box.y + box.height) + 8) } });
      assert.deepEqual(alerts.overflowing, [], `${where}, alerts`);
      assert.equal(alerts.scrollWidth, alerts.vw, `${where}, alerts: the sidebar scrolls sideways`);
      assert.deepEqual(alerts.broken, [], `${where}, alerts: words broken inside themselves`);
      assert.deepEqual(alerts.unnamed, [], `${where}, alerts: buttons without an accessible name`);
      assert.ok(alerts.triage?.afterCard, `${where}, alerts: the triage block is not under the card and its alerts`);
      const cards = await page.locator('[data-testid="signal"]').allInnerTexts();
      assert.equal(cards.length, 3);
      assert.match(cards[0], /linked to INC-7/, 'the linked alert says so instead of offering Declare');
      assert.match(cards[1], /SEV2[\s\S]*Declare[\s\S]*Attach[\s\S]*Runbook[\s\S]*Dashboard[\s\S]*Panel[\s\S]*Silence/);
      assert.match(cards[2], /ticket/, 'an unmapped severity label is shown as it is');
      await page.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
}

export const tests = {
  async 'offline, dark theme, 250 / 300 / 400 px: nothing overflows or breaks, Reconnect and the card in view, commands folded'() {
    await audit('dark', THEME_CSS);
  },
  async 'offline, light theme, 250 / 300 / 400 px: the same'() {
    await audit('light', LIGHT_THEME_CSS);
  },
  async 'offline, high-contrast theme, 250 / 300 / 400 px: the same'() {
    await audit('hc', HIGH_CONTRAST_THEME_CSS);
  },
};
