// Runs the UI tests: every test/e2e/**/*.ui.test.mjs, each against the repo's built extension installed in a real
// VS Code (code-server) shown in headless Chromium. One code-server, browser and workbench page per file, shared
// by that file's tests in order.
//
// usage: node test/e2e/runUiTests.mjs [FILE_FILTER...] [--grep TEXT]
// writes: test-output/ui/results.json ({passed, failed, tests}), screenshots in test-output/screenshots/
//         (failed-*.png on failure), code-server logs in test-output/logs/
//
// A test file exports
//   export const tests = { async 'what the user sees'({ page, server, context, workspaceDir, screenshot }) {...} };
// and optionally
//   export const workbench = { settings: {...}, async prepareWorkspace(dir) {...}, timeout: 60000 };
// or `export const workbench = false` to start its own code-servers (e.g. two workbenches) with ./codeServer.mjs;
// such a file says how long its tests may take with `export const timeout = ms` (their budget includes starting
// the workbenches, which their own waits already bound).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  OUTPUT_DIR, REPO_ROOT, assertCodeServerInstalled, ensureBuilt, launchBrowser, openWorkbench, screenshot, startCodeServer,
} from './codeServer.mjs';

const E2E_DIR = path.join(REPO_ROOT, 'test', 'e2e');
const RESULTS = path.join(OUTPUT_DIR, 'ui', 'results.json');

const argv = process.argv.slice(2);
const grepAt = argv.indexOf('--grep');
const grep = grepAt >= 0 ? argv.splice(grepAt, 2)[1] : undefined;
const fileFilters = argv;

const results = [];
const cleanups = new Set();
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    console.error(`\n${sig}: stopping code-server and the browser`);
    for (const c of cleanups) await c().catch(() => {});
    process.exit(130);
  });
}

function discover(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...discover(p));
    else if (entry.name.endsWith('.ui.test.mjs')) found.push(p);
  }
  return found.sort();
}

function slug(s) {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

async function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms / 1000}s`)), ms); });
  try { return await Promise.race([promise, timeout]); } finally { clearTimeout(timer); }
}

async function runFile(file) {
  const rel = path.relative(REPO_ROOT, file);
  const base = path.basename(file, '.ui.test.mjs');
  const mod = await import(pathToFileURL(file).href);
  const tests = Object.entries(mod.tests || {}).filter(([name]) => !grep || name.includes(grep));
  if (!tests.length) return;
  const wb = mod.workbench === false ? false : { ...(mod.workbench || {}) };
  const timeout = mod.timeout || (wb && wb.timeout) || 90e3;
  console.log(`\n${rel}`);

  const ctx = {};
  let server;
  let context;
  const cleanup = async () => { await context?.close().catch(() => {}); await server?.stop(); };
  cleanups.add(cleanup);
  try {
    if (wb) {
      const t0 = Date.now();
      server = await startCodeServer({ label: base, settings: wb.settings });
      if (wb.prepareWorkspace) await wb.prepareWorkspace(server.workspaceDir);
      context = await launchBrowser();
      const consoleLog = fs.createWriteStream(path.join(OUTPUT_DIR, 'logs', `browser-${base}.log`));
      const page = await openWorkbench(context, server, { onConsole: (line) => consoleLog.write(line + '\n') });
      Object.assign(ctx, { page, server, context, workspaceDir: server.workspaceDir, screenshot: (name) => screenshot(page, name) });
      console.log(`  (workbench ready in ${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    }
  } catch (e) {
    if (context?.pages()[0]) await screenshot(context.pages()[0], `failed-${base}-setup`).catch(() => {});
    for (const [name] of tests) record(rel, name, e, 0);
    await cleanup();
    cleanups.delete(cleanup);
    return;
  }

  for (const [name, fn] of tests) {
    const t0 = Date.now();
    try {
      // A test that cannot run here (a Debian package that cannot be installed) returns 'skipped', having said why.
      const outcome = await withTimeout(Promise.resolve().then(() => fn(ctx)), timeout, name);
      record(rel, name, undefined, Date.now() - t0, outcome === 'skipped');
    } catch (e) {
      if (ctx.page) await screenshot(ctx.page, `failed-${base}-${slug(name)}`).catch(() => {});
      record(rel, name, e, Date.now() - t0);
    }
  }
  await cleanup();
  cleanups.delete(cleanup);
}

function record(file, name, error, ms, skipped = false) {
  const state = error ? 'failed' : skipped ? 'skipped' : 'passed';
  results.push({ file, title: name, state, ms, ...(error ? { error: String(error.stack || error) } : {}) });
  const time = `(${(ms / 1000).toFixed(1)}s)`;
  if (error) console.log(`  ✗ ${name} ${time}\n      ${String(error.message || error).split('\n').join('\n      ')}`);
  else console.log(`  ${skipped ? '-' : '✓'} ${name} ${time}${skipped ? ' (skipped)' : ''}`);
}

async function main() {
  fs.rmSync(path.dirname(RESULTS), { recursive: true, force: true });
  fs.mkdirSync(path.join(OUTPUT_DIR, 'logs'), { recursive: true });
  const files = discover(E2E_DIR).filter((f) => !fileFilters.length || fileFilters.some((x) => f.includes(x)));
  if (files.length) {
    assertCodeServerInstalled();
    ensureBuilt();
  }
  for (const f of files) await runFile(f);
  const passed = results.filter((r) => r.state === 'passed').length;
  const pending = results.filter((r) => r.state === 'skipped').length;
  const failed = results.length - passed - pending;
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, JSON.stringify({ passed, failed, pending, tests: results }, null, 2));
  console.log(`\nui: ${passed} passed, ${failed} failed${pending ? `, ${pending} skipped` : ''}`);
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
  console.error(`ui tests could not run: ${e.message}`);
  process.exit(2);
});
