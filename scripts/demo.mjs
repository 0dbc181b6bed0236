#!/usr/bin/env node
// npm run demo: a ready Incident Room world on localhost in about a minute.
//
//   1. the real VS Code of the tests (code-server + Chromium in ~/.cache/incident-room-vscode; installed only when
//      missing, ~3 min once)
//   2. npm run build
//   3. a sample repo (checkout-service: 44 commits by four engineers over five days, deploy tags release-38…42,
//      the newest ~1 h ago shrinking the DB pool) with a bare origin over file:// and scripts/deploy.sh
//   4. the channel server on a free loopback port, data in the demo folder
//   5. an incident under way on channel "demo" (declared by Priya, notes from Marco), seeded over a plain ws client,
//      and two alerts firing, posted as Alertmanager's webhook would
//   6. code-server on http://127.0.0.1:8080 with the extension installed and the sample repo open
//
// Ctrl+C stops everything (code-server's process group, the channel server). The demo folder
// ($DEMO_DIR, default $TMPDIR/incident-room-demo) is rebuilt on every run.
//
//   npm run demo                  DEMO_PORT=9000 npm run demo
//   npm run demo -- --check       (or DEMO_CHECK=1) start everything, verify it in Chromium, screenshot
//                                 test-output/screenshots/demo.png, stop; exit code 0 when all is there
//
// Steps 1–6 are startDemoWorld(), exported so other scripts (scripts/screenshots.mjs) build the same world; the
// command line above runs only when this file is the program.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CACHE_DIR, REPO_ROOT, SETUP_SCRIPT, codeServerInstallation, launchBrowser, openWorkbench, poll, screenshot, startCodeServer,
  setPaneExpanded, waitForActivityItem, webviewFrame,
} from '../test/e2e/codeServer.mjs';
import { createDemoRepo } from './demo-repo.mjs';
import { serverNodeFlags } from './serverNodeFlags.mjs';
import { DEMO_ALERTS, SEEDED_TITLE, fireDemoAlerts, seedIncident } from './demo-seed.mjs';

export { SEEDED_TITLE };
export const CHANNEL = 'demo';
export const YOU = { name: 'Sam Rivera', email: 'sam@example.com' };

const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** Run one setup step, printing `  label … done (1.2 s)` (or `failed`). */
export async function step(label, fn) {
  const t = Date.now();
  process.stdout.write(`  ${label} … `);
  try {
    const result = await fn();
    process.stdout.write(`done (${secs(Date.now() - t)})\n`);
    return result;
  } catch (e) {
    process.stdout.write('failed\n');
    throw e;
  }
}

/** Undo what `cleanups` holds, newest first (each [label, fn]); a failing undo is reported and the rest go on. */
export async function runCleanups(cleanups) {
  while (cleanups.length) {
    const [label, fn] = cleanups.pop();
    try { await fn(); } catch (e) { console.error(`  stopping ${label}: ${e.message}`); }
  }
}

/**
 * Steps 1–6: the demo world in `dir` (its checkout-service, origin.git and channel-data are replaced). What it
 * starts is pushed onto the caller's `cleanups` as soon as it runs (so a signal during setup stops it too): undo it
 * with runCleanups(cleanups).
 * @param {object} o
 * @param {string} o.dir the demo folder
 * @param {Array<[string, () => Promise<void> | void]>} o.cleanups LIFO list the caller owns
 * @param {number} [o.port] code-server's port (0: a free one)
 * @param {string} [o.label] code-server's log name (test-output/logs/code-server-LABEL.log)
 * @param {(state: { channelServerPid: number, codeServerRunDir?: string }) => void} [o.onState] what is running,
 *   each time it grows (the demo writes it to its state file)
 * @param {object} [o.settings] more user settings for the workbench
 */
export async function startDemoWorld({ dir, cleanups, port = 0, label = 'demo', onState = () => {}, settings = {} }) {
  if (!codeServerInstallation().ok || !codeServerInstallation().chromium) {
    console.log('  the real VS Code (code-server) is not installed yet: installing it once (~3 min) …');
    const r = spawnSync('bash', [SETUP_SCRIPT], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`${path.relative(REPO_ROOT, SETUP_SCRIPT)} failed (exit ${r.status})`);
  }

  await step('building the extension and the channel server', () => run('npm', ['run', 'build']));

  const repoDir = path.join(dir, 'checkout-service');
  const repo = await step('creating the sample repo checkout-service', () => {
    for (const d of ['checkout-service', 'origin.git', 'channel-data']) fs.rmSync(path.join(dir, d), { recursive: true, force: true });
    return createDemoRepo({ dir: repoDir, originDir: path.join(dir, 'origin.git'), you: YOU });
  });

  const channel = await step('starting the channel server', () => startChannelServer(dir, cleanups));
  onState({ channelServerPid: channel.pid });
  const seeded = await step(`seeding an incident on channel "${CHANNEL}"`, () => seedIncident(channel.url, CHANNEL));
  await step(`firing ${DEMO_ALERTS.length} alerts into the channel, as Alertmanager would`, () => fireDemoAlerts(channel.url, CHANNEL));

  const server = await step(`starting VS Code (code-server) on port ${port || '(free)'}`, async () => {
    const s = await startCodeServer({
      label,
      port,
      workspaceDir: repoDir,
      settings: {
        'incidentRoom.server.url': channel.url,
        'incidentRoom.channel': CHANNEL,
        'incidentRoom.user.id': YOU.email,
        'incidentRoom.user.name': YOU.name,
        'security.workspace.trust.enabled': false,
        ...settings,
      },
    });
    cleanups.push(['code-server', () => s.stop()]);
    onState({ channelServerPid: channel.pid, codeServerRunDir: s.runDir });
    return s;
  });

  const folderUrl = `${server.url}?folder=${encodeURIComponent(repoDir).replace(/%2F/g, '/')}`;
  return { repo, channel, seeded, server, folderUrl };
}

// ------------------------------------------------------------------------------------------------ the command line

// Set by cli(); the helpers for "one demo per folder" below read them.
let CHECK = false;
let DEMO_DIR = '';
let STATE_FILE = '';
let claimed = false; // this process wrote STATE_FILE (and so removes it when it stops)
const cleanups = []; // LIFO: what to undo, in reverse order of starting it
let stopping;

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await cli();

async function cli() {
  const { values: flags } = parseArgs({ options: { check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (flags.help) {
    console.log('usage: npm run demo [-- --check]   env: DEMO_PORT (default 8080), DEMO_DIR, DEMO_CHECK=1');
    process.exit(0);
  }
  CHECK = flags.check || process.env.DEMO_CHECK === '1';
  // A fixed port to type and bookmark; the check picks a free one unless told, so it runs next to a live demo.
  const port = process.env.DEMO_PORT ? Number(process.env.DEMO_PORT) : CHECK ? 0 : 8080;
  // The check gets a folder of its own (removed afterwards) so it never clobbers a demo someone is looking at.
  DEMO_DIR = CHECK ? fs.mkdtempSync(path.join(os.tmpdir(), 'incident-room-demo-check-'))
    : path.resolve(process.env.DEMO_DIR || path.join(os.tmpdir(), 'incident-room-demo'));
  STATE_FILE = path.join(DEMO_DIR, 'demo-state.json');

  let firstSignal = 0;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      // Ctrl+C under `npm run` arrives twice at once (from the terminal and forwarded by npm): only a second Ctrl+C
      // pressed while stopping skips the graceful shutdowns (the exit hooks still kill the process groups).
      if (firstSignal) {
        if (Date.now() - firstSignal > 1000) process.exit(130);
        return;
      }
      firstSignal = Date.now();
      console.log('\nstopping the demo …');
      void stopAll().then(() => { console.log('stopped: code-server and the channel server are gone.'); process.exit(0); });
    });
  }

  try {
    await main(port);
    process.exit(0); // --check is done (an interactive demo exits from its signal handler)
  } catch (e) {
    console.error(`\ndemo failed: ${e.message}`);
    await stopAll();
    process.exit(1);
  }
}

async function stopAll() {
  stopping ??= (async () => {
    await runCleanups(cleanups);
    if (CHECK) fs.rmSync(DEMO_DIR, { recursive: true, force: true });
    else if (claimed) fs.rmSync(STATE_FILE, { force: true });
  })();
  return stopping;
}

async function main(port) {
  const started = Date.now();
  console.log(`Incident Room demo${CHECK ? ' (check)' : ''}`);
  if (!CHECK) await claimDemoDir();
  if (port) await assertPortFree(port);

  const { repo, channel, seeded, server, folderUrl } = await startDemoWorld({
    dir: DEMO_DIR, cleanups, port, label: CHECK ? 'demo-check' : 'demo', onState: saveState,
  });
  if (CHECK) return check(server, seeded, Date.now() - started);

  console.log(`
Ready in ${secs(Date.now() - started)}. Open:

    ${folderUrl}

  (on a remote machine, forward the port first: ssh -L ${server.port}:127.0.0.1:${server.port} HOST)

You are ${YOU.name} (${YOU.email}), on call. On channel "${CHANNEL}" (${channel.url}) an incident is
already under way: ${seeded.incidentId} "${SEEDED_TITLE}", declared by Priya, Marco is tech lead.
Things to try:

  - Click the Incident Room icon (the flame) in the activity bar: the incident, its roles and timeline.
  - Firing alerts are at the top: attach CheckoutHighErrorRate to ${seeded.incidentId}, or Declare from
    OrdersDbPoolSaturated: the form starts filled in, detection time = when the alert started.
  - Incident: Take Role → Scribe, then select a few lines in config/pool.yaml, right-click →
    Add Selection to Timeline (Ctrl+Alt+I) and tag it as a fact.
  - Recent Deploys: release-42 (1 h ago) → open its diff (config/pool.yaml: max 40 → 4), flag it as suspect.
  - Roll back release-42: the preflight shows ./scripts/deploy.sh release-41, and the run lands on the timeline.
  - Incident: Post Status Update, Set Status → resolved, Generate Postmortem.

Sample repo: ${repo.dir} (${repo.commits} commits, origin ${repo.origin})
Logs: ${server.logFile}, ${channel.logFile}

Ctrl+C stops everything.`);
  await new Promise((resolve) => {
    // A part that dies on its own ends the demo instead of leaving half a world running.
    channel.child.once('exit', (code) => { if (!stopping) { console.error(`\nthe channel server exited (${code}), see ${channel.logFile}`); resolve(); } });
  });
  await stopAll();
  process.exit(1);
}

/** --check: the activity item, the seeded incident and its firing alerts in the sidebar and release-42 in Recent Deploys, in Chromium. */
async function check(server, seeded, readyMs) {
  const browser = await launchBrowser();
  cleanups.push(['browser', () => browser.close()]);
  let page;
  try {
    const t = Date.now();
    page = await openWorkbench(browser, server); // waits for the Incident Room activity item
    console.log(`  workbench loaded with the Incident Room activity item (${secs(Date.now() - t)})`);
    await (await waitForActivityItem(page, 'Incident Room')).click();
    const web = webviewFrame(page);
    await web.locator('[data-testid="incident-title"]', { hasText: SEEDED_TITLE }).waitFor({ timeout: 60e3 });
    const entries = await poll(async () => {
      const n = await web.locator('[data-testid="timeline-entry"]').count();
      return n >= seeded.events - 1 && n;
    }, { timeout: 20e3, message: `the sidebar shows ${seeded.incidentId}'s timeline` });
    console.log(`  sidebar shows ${seeded.incidentId} "${SEEDED_TITLE}" with ${entries} timeline entries`);
    for (const name of DEMO_ALERTS) await web.locator('[data-testid="signal"]', { hasText: name }).waitFor({ timeout: 20e3 });
    console.log(`  sidebar shows the firing alerts: ${DEMO_ALERTS.join(', ')}`);
    // Recent Deploys starts collapsed (the incident has the room); a newcomer opens it.
    await setPaneExpanded(page, 'Recent Deploys');
    const deploysTree = page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header', { hasText: 'Recent Deploys' }) });
    const release42 = deploysTree.locator('.monaco-list-row', { hasText: 'release-42' }).first();
    await release42.waitFor({ timeout: 60e3 });
    const rows = await deploysTree.locator('.monaco-list-row .label-name').allInnerTexts();
    console.log(`  Recent Deploys lists: ${rows.join(', ')}`);
    await release42.click(); // expand: the files release-42 changed
    const poolYaml = deploysTree.locator('.monaco-list-row', { hasText: 'pool.yaml' }).first();
    await poolYaml.waitFor({ timeout: 30e3 });
    await poolYaml.click(); // the culprit's diff: max 40 → 4
    await page.locator('.part.editor .monaco-diff-editor').first().waitFor({ timeout: 30e3 });
    await page.locator('.part.editor .tab', { hasText: 'pool.yaml' }).first().waitFor({ timeout: 10e3 });
    // both sides read through the extension's git-revision documents: 40 before, 4 after (Monaco renders spaces as
    // no-break spaces)
    const side = (which, max) => page.locator(`.part.editor .monaco-diff-editor .editor.${which} .view-line`, { hasText: new RegExp(`max:\\s${max}$`) }).first();
    await side('original', 40).waitFor({ timeout: 30e3 });
    await side('modified', 4).waitFor({ timeout: 30e3 });
    console.log('  release-42 expands to its files; pool.yaml opens in the diff editor (max: 40 → max: 4)');
    await page.mouse.move(0, 0); // no hover tooltip over the tree in the picture
    const file = await screenshot(page, 'demo');
    console.log(`\ncheck passed: ready in ${secs(readyMs)}, checked in ${secs(Date.now() - t)}; screenshot ${path.relative(process.cwd(), file)}`);
  } catch (e) {
    if (page) await screenshot(page, 'failed-demo').then((f) => console.error(`  screenshot of the failure: ${f}`), () => {});
    throw e;
  } finally {
    await stopAll();
  }
}

// ------------------------------------------------------------------------------------------------ the parts

/** The channel server from dist/, on a free loopback port, in its own process group; its stop goes on `cleanups`. */
async function startChannelServer(dir, cleanups) {
  const dataDir = path.join(dir, 'channel-data');
  const logFile = path.join(dir, 'channel-server.log');
  const log = fs.openSync(logFile, 'w');
  const serverJs = path.join(REPO_ROOT, 'dist', 'server.js');
  const child = spawn(process.execPath, [...serverNodeFlags(serverJs), serverJs, '--host', '127.0.0.1', '--port', '0', '--data', dataDir], {
    detached: true, stdio: ['ignore', 'pipe', log],
  });
  fs.closeSync(log);
  const killGroup = (sig) => { try { process.kill(-child.pid, sig); } catch { /* gone */ } };
  process.on('exit', () => killGroup('SIGKILL'));
  cleanups.push(['channel server', async () => {
    if (child.exitCode !== null || child.signalCode) return;
    const exited = new Promise((r) => child.once('exit', r));
    killGroup('SIGTERM'); // the server flushes, closes sessions with 1001 and exits 0
    if (await Promise.race([exited.then(() => true), sleep(5000).then(() => false)])) return;
    killGroup('SIGKILL');
    await exited;
  }]);
  let out = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the channel server did not start within 15 s, see ${logFile}`)), 15e3);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (ws:\/\/\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the channel server exited (${code}), see ${logFile}`)); });
  });
  return { url, child, pid: child.pid, logFile };
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} failed (exit ${code}):\n${out}`))));
  });
}

function assertPortFree(port) {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (e) => reject(new Error(e.code === 'EADDRINUSE'
      ? `port ${port} is in use (another demo?): stop it, or pick another port with DEMO_PORT=${port + 1} npm run demo`
      : `cannot listen on 127.0.0.1:${port}: ${e.code}`)));
    probe.listen(port, '127.0.0.1', () => probe.close(resolve));
  });
}

// ------------------------------------------------------------------------------------------------ one demo per folder

/**
 * Refuse to start over a demo that is still running in the same folder, and stop what a killed one (kill -9, a
 * closed terminal that did not deliver SIGHUP) left behind: its channel server and its code-server's group.
 */
async function claimDemoDir() {
  fs.mkdirSync(DEMO_DIR, { recursive: true });
  let prev;
  try { prev = JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')); } catch { /* none */ }
  if (prev && prev.owner !== process.pid && alive(prev.owner)) {
    throw new Error(`a demo is already running from ${DEMO_DIR} (pid ${prev.owner}): stop it with Ctrl+C, or use another DEMO_DIR and DEMO_PORT`);
  }
  if (prev) {
    // Only processes that are provably the old demo's: the channel server by pid + its data folder on its command
    // line; code-server by the run folders the old demo owned (codeServer.mjs writes owner.pid into each).
    const leftovers = [];
    if (prev.channelServerPid && cmdline(prev.channelServerPid).includes(path.join(DEMO_DIR, 'channel-data'))) leftovers.push(prev.channelServerPid);
    const runDirs = new Set([...runDirsOwnedBy(prev.owner), ...(prev.codeServerRunDir ? [prev.codeServerRunDir] : [])]);
    for (const runDir of runDirs) leftovers.push(...pidsWithArg(path.join(runDir, 'config.yaml')));
    for (const pid of leftovers) {
      console.log(`  stopping pid ${pid}, left behind by an earlier demo`);
      try { process.kill(-pid, 'SIGKILL'); } catch { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    }
    if (leftovers.length) await sleep(500);
  }
  claimed = true;
  saveState({});
}

function saveState(extra) {
  if (!claimed) return;
  fs.writeFileSync(STATE_FILE, JSON.stringify({ owner: process.pid, ...extra }, null, 2));
}

function runDirsOwnedBy(owner) {
  const runs = path.join(CACHE_DIR, 'r');
  let names = [];
  try { names = fs.readdirSync(runs); } catch { return []; }
  return names.map((n) => path.join(runs, n)).filter((d) => {
    try { return Number(fs.readFileSync(path.join(d, 'owner.pid'), 'utf8')) === owner; } catch { return false; }
  });
}

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

function cmdline(pid) {
  try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '); } catch { return ''; }
}

function pidsWithArg(arg) {
  let entries = [];
  try { entries = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)); } catch { return []; }
  return entries.map(Number).filter((pid) => pid !== process.pid && cmdline(pid).split(' ').includes(arg));
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
