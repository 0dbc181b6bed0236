#!/usr/bin/env node
// The README pictures, from the demo world (scripts/demo.mjs: the checkout-service repo, a channel server and
// INC-1 under way), taken in the real workbench (code-server + Chromium) and written to media/readme/:
//
//   sidebar-incident.png   the Incident sidebar mid-incident (roles, facts and guesses, a scribe note from code,
//                          the suspect deploy, the timeline) beside the code the note points at
//   deploy-diff.png        Open Deploy Diff of release-42 (VS Code's multi-file diff) beside the incident
//   rollback-confirm.png   the Roll Back Deploy confirm with the exact command; it is cancelled, nothing runs
//   postmortem.png         Generate Postmortem, shown in the Markdown preview
//
// As Sam (the demo's "you") it takes the Scribe role, scribes a code selection, flags release-42 as suspect and
// opens the diff; the rollback is cancelled at its confirm; then Sam resolves the incident, adds an action item and
// drafts the postmortem. Every step waits for the state it needs, never for a fixed time.
//
//   node scripts/screenshots.mjs              (wrap in `flock /tmp/workbench.lock …` on a shared machine)
//   HEADED=1 node scripts/screenshots.mjs     to watch it
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  REPO_ROOT, launchBrowser, openWorkbench, pickRow, poll, runCommand, screenshot as failureScreenshot, setPaneExpanded, waitForActivityItem,
  webviewFrame,
} from '../test/e2e/codeServer.mjs';
import { answer, choose } from '../test/e2e/incidentPrompts.mjs';
import { SEEDED_TITLE, runCleanups, startDemoWorld, step } from './demo.mjs';

const OUT_DIR = path.join(REPO_ROOT, 'media', 'readme');
// Shown at the README's full width (~900 px on GitHub, about as wide on the extension page): a window this size
// scales by ~0.7, and the pictures that need it are cropped to what they are about so their text stays readable.
// Tall enough that the sidebar shows the incident card, roles, facts and guesses, suspects and the timeline's start.
const VIEWPORT = { width: 1280, height: 1100 };
const SIDEBAR_WIDTH = 380;
const SETTINGS = {
  'editor.minimap.enabled': false, // more room for code in a narrow window
  'editor.wordWrap': 'on', // checkout.ts's log line fits beside the sidebar
  'workbench.tips.enabled': false,
  'diffEditor.hideUnchangedRegions.enabled': true, // the multi-file diff shows what changed, not whole files
  // the sample repo has no node_modules: TypeScript would underline every import and count "problems" in the picture
  'typescript.validate.enable': false,
  // the deploy lens (a CodeLens and a gutter mark on every hunk a recent deploy changed) appears whenever its git
  // lookups finish: off, so the code beside the sidebar is the same in every run and not crowded out
  'editor.codeLens': false,
  'incidentRoom.lens.enabled': false,
};
const SCRIBE_COMMENT = 'Every replica logs this line: checkout waits up to acquireTimeoutMs for one of pool.max connections.';
const SUSPECT_REASON = 'Shrank the orders-db pool from 40 to 4 connections per replica; errors began right after it went out.';
const RESOLVED_NOTE = 'Orders-db pool back to max 40 on every replica; checkout 5xx at baseline (0.1%) for 20 min.';
const ACTION_ITEM = 'Alert when checkout waits for an orders-db connection (pool waiting > 0 for 5 min)';

// A responder's zone, not the machine's UTC: the postmortem shows times in UTC and in the reader's zone, and the
// sidebar in the browser's. Set before anything starts: code-server and Chromium inherit it.
process.env.TZ = 'Europe/Berlin';

const cleanups = [];
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    console.log('\nstopping …');
    void runCleanups(cleanups).then(() => process.exit(130));
  });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'incident-room-screenshots-'));
cleanups.push(['the demo folder', () => fs.rmSync(dir, { recursive: true, force: true })]);
try {
  console.log('README screenshots from the demo world');
  const world = await startDemoWorld({ dir, cleanups, label: 'screenshots', settings: SETTINGS });
  await takeScreenshots(world);
  console.log(`\nwrote ${path.relative(process.cwd(), OUT_DIR)}/: ${fs.readdirSync(OUT_DIR).filter((f) => f.endsWith('.png')).join(', ')}`);
  await runCleanups(cleanups);
  process.exit(0);
} catch (e) {
  console.error(`\nscreenshots failed: ${e.stack || e.message}`);
  await runCleanups(cleanups);
  process.exit(1);
}

async function takeScreenshots({ server, seeded }) {
  const browser = await launchBrowser({ viewport: VIEWPORT });
  cleanups.push(['browser', () => browser.close()]);
  const page = await openWorkbench(browser, server);
  try {
    const web = webviewFrame(page);
    const entry = (text) => web.locator('[data-testid="timeline-entry"]', { hasText: text }).first();

    await step(`opening the Incident sidebar on ${seeded.incidentId}`, async () => {
      await (await waitForActivityItem(page, 'Incident Room')).click();
      await web.locator('[data-testid="incident-title"]', { hasText: SEEDED_TITLE }).waitFor({ timeout: 60e3 });
      await poll(async () => (await web.locator('[data-testid="timeline-entry"]').count()) >= seeded.events - 1, { timeout: 20e3, message: 'the seeded timeline' });
      await widenSidebar(page, SIDEBAR_WIDTH);
      // The picture is the incident: Recent Deploys folds to its header, the Incident view gets the height.
      await setPaneExpanded(page, 'Recent Deploys', false);
    });

    await step('taking the Scribe role', async () => {
      await runCommand(page, 'Incident: Take Role', { prompts: true });
      await choose(page, 'Take Role', 'Scribe');
      await web.locator('[data-testid="my-role"]', { hasText: 'Scribe' }).first().waitFor({ timeout: 15e3 });
    });

    await step('scribing src/checkout.ts:17-20 as a fact', async () => {
      await openFile(page, 'checkout.ts', 'src/checkout.ts');
      await selectLines(page, 17, 20);
      await runCommand(page, 'Incident: Add Selection to Timeline', { prompts: true });
      await choose(page, 'What is this code to the incident', 'fact');
      await answer(page, 'Why it matters', SCRIBE_COMMENT);
      await entry('Every replica logs this line').waitFor({ timeout: 15e3 });
    });

    await step('flagging release-42 as suspect', async () => {
      await runCommand(page, 'Incident: Flag Deploy as Suspect', { prompts: true });
      await choose(page, 'Flag a deploy as suspect', 'release-42');
      await answer(page, 'Why is release-42 suspect', SUSPECT_REASON);
      await entry('Flagged deploy release-42').waitFor({ timeout: 15e3 });
    });

    await step('sidebar-incident.png', async () => {
      await readyForPicture(page, web);
      // the workbench minus the activity bar's empty lower half is all content: take it whole
      await shoot(page, 'sidebar-incident');
    });

    await step('deploy-diff.png: Open Deploy Diff of release-42', async () => {
      await closeAllEditors(page);
      await runCommand(page, 'Incident: Open Deploy Diff', { prompts: true });
      await choose(page, 'Open Deploy Diff', 'release-42');
      await page.locator('.part.editor .tab', { hasText: 'release-42' }).first().waitFor({ timeout: 20e3 });
      await page.locator('.part.editor .multiDiffEditor, .part.editor .multi-diff-editor').first().waitFor({ timeout: 20e3 });
      // Monaco renders spaces as no-break spaces
      // README.md comes first and matters least: fold it, so pool.yaml (the culprit) leads
      const readme = page.locator('.part.editor .multiDiffEntry > .header', { has: page.locator('.file-path .label-name', { hasText: /^README\.md$/ }) }).first();
      await poll(async () => {
        if ((await readme.getAttribute('aria-expanded', { timeout: 1000 }).catch(() => null)) === 'false') return true;
        await readme.locator('.collapse-button').click({ timeout: 2000 }).catch(() => {});
        return false;
      }, { timeout: 30e3, interval: 500, message: 'README.md folded in the multi-file diff' });
      await poll(async () => /max: 4\b/.test((await page.locator('.part.editor').innerText()).replace(/\u00a0/g, ' ')), { timeout: 30e3, message: 'pool.yaml (max: 4) in the diff' });
      // the deploys under the incident, as tall as their five rows: release-42 with its suspect mark
      await setPaneExpanded(page, 'Recent Deploys', true);
      const deploys = page.locator('.part.sidebar .pane', { has: page.locator('.pane-header', { hasText: 'Recent Deploys' }) });
      await deploys.locator('.monaco-list-row', { hasText: 'release-42' }).first().waitFor({ timeout: 30e3 });
      await fitLastPane(page, 'Recent Deploys', 5);
      await readyForPicture(page, web);
      await shoot(page, 'deploy-diff');
    });

    await step('rollback-confirm.png: Roll Back Deploy release-42, then Cancel', async () => {
      await runCommand(page, 'Incident: Roll Back Deploy', { prompts: true });
      await choose(page, 'Roll back which deploy', 'release-42');
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ timeout: 30e3 });
      const text = await dialog.innerText();
      if (!text.includes('./scripts/deploy.sh release-41')) throw new Error(`the confirm does not show the command:\n${text}`);
      await page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'detached', timeout: 15e3 }).catch(() => {});
      await page.mouse.move(0, VIEWPORT.height - 1);
      // the dialog and a margin of the dimmed workbench around it: the command is the point of the picture
      const box = await dialog.boundingBox();
      await shoot(page, 'rollback-confirm', around(box, { x: 225, y: 90 }));
      await dialog.locator('a.monaco-button, button', { hasText: 'Cancel' }).first().click();
      await dialog.waitFor({ state: 'detached', timeout: 15e3 });
      // nothing ran: no mitigation on the timeline
      if (await web.locator('[data-testid="timeline-entry"]', { hasText: 'Mitigation started' }).count()) throw new Error('the rollback ran');
    });

    await step('resolving and adding an action item', async () => {
      await closeAllEditors(page);
      await runCommand(page, 'Incident: Set Status', { prompts: true });
      await choose(page, 'Set Status', 'resolved');
      await answer(page, 'Note for', RESOLVED_NOTE);
      await web.locator('[data-testid="incident-status"]', { hasText: 'resolved' }).waitFor({ timeout: 15e3 });
      await runCommand(page, 'Incident: Add Action Item', { prompts: true });
      await answer(page, 'What should be done', ACTION_ITEM);
      await answer(page, 'Owner', 'jonas@example.com');
      await answer(page, 'Due date', new Date(Date.now() + 7 * 86400e3).toISOString().slice(0, 10));
      await web.locator('[data-testid="action-item"]', { hasText: 'Alert when checkout waits' }).first().waitFor({ timeout: 15e3 });
    });

    await step('postmortem.png: Generate Postmortem, then its Markdown preview', async () => {
      await setPaneExpanded(page, 'Recent Deploys', false);
      await runCommand(page, 'Incident: Generate Postmortem');
      const tab = page.locator('.part.editor .tab', { hasText: 'Postmortem' }).first();
      await tab.waitFor({ timeout: 20e3 });
      // Markdown: Open Preview (markdown.showPreview) by its key: the palette's first match for its title may be
      // "Open Preview to the Side", which would halve the preview
      await page.locator('.part.editor .monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+Shift+V');
      const preview = await poll(async () => {
        for (const frame of page.frames()) {
          if (await frame.locator('h1', { hasText: 'Postmortem' }).count().catch(() => 0)) return frame;
        }
        return undefined;
      }, { timeout: 30e3, message: 'the Markdown preview of the postmortem' });
      await preview.locator('table').first().waitFor({ timeout: 15e3 });
      await readyForPicture(page, web);
      await shoot(page, 'postmortem');
    });
  } catch (e) {
    await failureScreenshot(page, 'failed-screenshots').then((f) => console.error(`  screenshot of the failure: ${f}`), () => {});
    throw e;
  }
}

// ------------------------------------------------------------------------------------------------ workbench steps

/** Drag the sash between the side bar and the editor until the side bar is `width` px wide. */
async function widenSidebar(page, width) {
  const sidebar = page.locator('.part.sidebar');
  const box = await sidebar.boundingBox();
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 5 });
  await page.mouse.up();
  await poll(async () => Math.abs((await sidebar.boundingBox()).width - width) <= 4, { timeout: 5e3, message: `the side bar ${width} px wide` });
}


/** Drag the sash above the side bar's last view (`title`) so that its body holds `rows` tree rows. */
async function fitLastPane(page, title, rows) {
  const header = page.locator('.part.sidebar .pane-header', { hasText: title }).first();
  const sidebar = await page.locator('.part.sidebar').boundingBox();
  const box = await header.boundingBox();
  const rowHeight = 22;
  const targetY = sidebar.y + sidebar.height - box.height - rows * rowHeight - 12;
  // the sash is centred on the boundary between the two views, just above the header
  await page.mouse.move(box.x + box.width / 2, box.y - 1);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, targetY, { steps: 5 });
  await page.mouse.up();
  await poll(async () => Math.abs((await header.boundingBox()).y - targetY) <= 6, { timeout: 5e3, message: `${title} fitted to ${rows} rows` });
}

/** Quick Open `name`, pick the row of `relPath`, wait for its tab. */
async function openFile(page, name, relPath) {
  await page.evaluate(() => { if (document.activeElement instanceof HTMLIFrameElement) document.activeElement.blur(); });
  await page.locator('.part.editor').first().focus().catch(() => {});
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ timeout: 15e3 });
  await input.fill(relPath);
  await pickRow(page, name);
  await page.locator('.part.editor .tab.active', { hasText: name }).waitFor({ timeout: 15e3 });
  await page.locator('.part.editor .monaco-editor .view-lines').first().waitFor({ timeout: 15e3 });
}

/** Select whole lines first..last of the active editor (Go to Line, then Expand Line Selection). */
async function selectLines(page, first, last) {
  await page.locator('.part.editor .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ timeout: 15e3 });
  await input.fill(`:${first}`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: 15e3 });
  for (let i = first; i <= last; i++) await page.keyboard.press('Control+L');
  // the status bar says what is selected: "Ln 21, Col 1 (… selected)"
  await poll(async () => /Ln \d+, Col 1 \(\d+ selected\)/.test(await page.locator('.part.statusbar').innerText()), { timeout: 10e3, message: `lines ${first}-${last} selected` });
}

async function closeAllEditors(page) {
  await runCommand(page, 'View: Close All Editors');
  await poll(async () => (await page.locator('.part.editor .tab').count()) === 0, { timeout: 10e3, message: 'no editor open' });
}

/**
 * No toast, hover or palette over the picture, and the sidebar's webview showing the incident (a webview that was
 * hidden repaints when shown again: wait for its title).
 */
async function readyForPicture(page, web) {
  const toasts = page.locator('.notifications-toasts .notification-toast');
  if (await toasts.count()) {
    await runCommand(page, 'Notifications: Clear All Notifications');
    await poll(async () => (await toasts.count()) === 0, { timeout: 10e3, message: 'notifications closed' });
  }
  await page.mouse.move(0, VIEWPORT.height - 1);
  await web.locator('[data-testid="incident-title"]', { hasText: SEEDED_TITLE }).waitFor({ state: 'visible', timeout: 15e3 });
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5e3 }).catch(() => {});
}

/** A rectangle `margin` larger than `box` on each side, inside the viewport. */
function around(box, margin) {
  const x = Math.max(0, Math.floor(box.x - margin.x));
  const y = Math.max(0, Math.floor(box.y - margin.y));
  return {
    x, y,
    width: Math.min(VIEWPORT.width, Math.ceil(box.x + box.width + margin.x)) - x,
    height: Math.min(VIEWPORT.height, Math.ceil(box.y + box.height + margin.y)) - y,
  };
}

async function shoot(page, name, clip) {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `${name}.png`);
  await page.screenshot({ path: file, ...(clip ? { clip } : {}) });
  return file;
}
