// Activation of Incident Room beside a trivial extension, in the real VS Code (code-server 4.139 = VS Code 1.139
// workbench and Node extension host), for npm run bench:extension.
//
// Each start: a fresh code-server (its own user data, extensions dir, empty workspace) with Incident Room
// installed as a user would have it (test/e2e/codeServer.mjs installExtension: package.json, dist/, media/) and
// bench/fixtures/trivial-extension laid out beside it; the workbench is opened in Chromium. Both extensions
// activate on `onStartupFinished` in the same extension host. Per start we read three figures per extension:
//
//   vscodeMs  VS Code's own measure, as "Developer: Show Running Extensions" shows it ("Activation: N ms" =
//             codeLoadingTime + activateCallTime, Date.now() deltas taken by the extension host around loading
//             the main module and calling activate(); the same figure the extensionActivationTimes telemetry
//             carries). The running-extensions editor is opened through the palette and its rows are read.
//   selfMs    the extension's own `activated in X ms` line in its LogOutputChannel file
//             (<user-data>/logs/<session>/exthost1/<publisher.name>/<channel>.log): the body of activate() only.
//   onlineMs  Incident Room's `channel online N ms after activation` log line: the channel client, its schemas and
//             the local channel host, loaded in the background after activate() returned, until the channel is up.
//   spanMs    extension host log time of `ExtensionService#_doActivateExtension <id>` (remoteexthost.log) to the
//             time of the `activated in` line: everything from VS Code deciding to activate to activate() returning,
//             including waiting for the extension host while other extensions load (ms-resolution timestamps).
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, openWorkbench, poll, runCommand, startCodeServer } from '../test/e2e/codeServer.mjs';

const FIXTURE = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures', 'trivial-extension');

export const EXTENSIONS_BY_KIND = {
  incidentRoom: { id: 'incident-room.incident-room', displayName: 'Incident Room', channel: 'Incident Room' },
  trivial: { id: 'incident-room-bench.trivial-extension', displayName: 'Trivial Bench Extension', channel: 'Trivial Bench' },
};

function walk(dir) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p)); else out.push(p);
  }
  return out;
}

/** `2026-11-23 00:06:56.661` (the log's local time) → epoch ms; only differences between two lines are used. */
const logTime = (line) => {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3})/.exec(line);
  return m ? Date.parse(`${m[1]}T${m[2]}`) : NaN;
};

function readSelfMeasured(logsDir, ext) {
  const file = walk(logsDir).find((f) => f.includes(`${path.sep}${ext.id}${path.sep}`) && path.basename(f) === `${ext.channel}.log`);
  if (!file) return undefined;
  const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => /activated in [\d.]+ ms/.test(l));
  if (!line) return undefined;
  const chunks = /lazy chunks loaded: (.*)$/.exec(line)?.[1]?.trim();
  return { ms: Number(/activated in ([\d.]+) ms/.exec(line)[1]), at: logTime(line), ...(chunks ? { chunksLoaded: chunks } : {}) };
}

/** Incident Room's `channel online N ms after activation` line: what activation left for later, done. */
function readOnline(logsDir) {
  const ext = EXTENSIONS_BY_KIND.incidentRoom;
  const file = walk(logsDir).find((f) => f.includes(`${path.sep}${ext.id}${path.sep}`) && path.basename(f) === `${ext.channel}.log`);
  const line = file ? fs.readFileSync(file, 'utf8').split('\n').find((l) => /channel online [\d.]+ ms after activation/.test(l)) : undefined;
  return line ? Number(/channel online ([\d.]+) ms/.exec(line)[1]) : undefined;
}

function readExtHostLog(logsDir) {
  const file = walk(logsDir).find((f) => path.basename(f) === 'remoteexthost.log');
  const lines = file ? fs.readFileSync(file, 'utf8').split('\n') : [];
  const started = {};
  const order = [];
  for (const l of lines) {
    const m = /ExtensionService#_doActivateExtension (\S+), startup: (\w+), activationEvent: '([^']*)'/.exec(l);
    if (!m) continue;
    started[m[1]] = { at: logTime(l), startup: m[2] === 'true', activationEvent: m[3] };
    order.push(m[1]);
  }
  const failures = lines.filter((l) => /Activating extension .* failed/.test(l));
  return { started, order, failures };
}

/** Rows of the Running Extensions editor: displayName → "Activation: N ms" (null while still activating). */
async function runningExtensions(page) {
  return page.evaluate(() => {
    const rows = {};
    for (const row of document.querySelectorAll('.runtime-extensions-editor .monaco-list-row')) {
      const name = row.querySelector('.name')?.textContent?.trim() ?? row.innerText.split('\n')[0].trim();
      const m = /(Startup )?Activation: (\d+)ms/.exec(row.innerText);
      rows[name] = m ? { ms: Number(m[2]), startup: !!m[1] } : null;
    }
    return rows;
  });
}

/**
 * One code-server start; returns every figure for both extensions. The extension host activates the startup
 * extensions in the order it found them (their folders' names), and VS Code's figure for each includes waiting
 * while the ones before it load: `first` says which of the two goes first, so the starts alternate and neither is
 * favoured (the trivial extension's publisher is chosen to sort before or after Incident Room's folder).
 */
async function oneStart(context, index, extensionDir, log, first = 'trivial') {
  const started = performance.now();
  const publisher = first === 'trivial' ? 'incident-room-bench' : 'zz-incident-room-bench';
  const EXTENSIONS = { ...EXTENSIONS_BY_KIND, trivial: { ...EXTENSIONS_BY_KIND.trivial, id: `${publisher}.trivial-extension` } };
  const server = await startCodeServer({ label: `bench-extension-${index}`, extensionDir });
  try {
    // Laid out exactly like installExtension lays out Incident Room (publisher.name-version); the server scans the
    // extensions folder when the workbench's extension host starts, i.e. after this.
    const trivialDir = path.join(server.runDir, 'ext', `${publisher}.trivial-extension-0.0.1`);
    fs.cpSync(FIXTURE, trivialDir, { recursive: true });
    const manifest = JSON.parse(fs.readFileSync(path.join(trivialDir, 'package.json'), 'utf8'));
    fs.writeFileSync(path.join(trivialDir, 'package.json'), JSON.stringify({ ...manifest, publisher }, null, 2));
    const page = await openWorkbench(context, server);
    const logsDir = path.join(server.runDir, 'data', 'logs');
    const self = await poll(() => {
      const r = Object.fromEntries(Object.entries(EXTENSIONS).map(([k, ext]) => [k, readSelfMeasured(logsDir, ext)]));
      const failures = readExtHostLog(logsDir).failures;
      if (failures.length) throw Object.assign(new Error(`activation failed: ${failures.join(' | ')}`), { fatal: true });
      return Object.values(r).every(Boolean) ? r : undefined;
    }, { timeout: 90e3, message: `both extensions did not log "activated in" (logs in ${logsDir})` });
    const exthost = readExtHostLog(logsDir);
    const onlineMs = await poll(() => readOnline(logsDir), { timeout: 30e3, message: `Incident Room never logged "channel online" (logs in ${logsDir})` });

    await runCommand(page, 'Developer: Show Running Extensions');
    const names = Object.values(EXTENSIONS).map((e) => e.displayName);
    const rows = await poll(async () => {
      const r = await runningExtensions(page);
      if (names.every((n) => r[n])) return r;
      // The list is virtualised: scroll to bring later rows in.
      await page.locator('.runtime-extensions-editor .monaco-list').first().hover().catch(() => {});
      await page.mouse.wheel(0, 400);
      return undefined;
    }, { timeout: 30e3, message: 'Running Extensions did not list both extensions with an activation time' });
    await page.close();

    const out = { start: index, first, order: exthost.order.filter((id) => Object.values(EXTENSIONS).some((e) => e.id === id)) };
    for (const [k, ext] of Object.entries(EXTENSIONS)) {
      const s = exthost.started[ext.id];
      out[k] = {
        vscodeMs: rows[ext.displayName].ms,
        selfMs: self[k].ms,
        spanMs: s ? self[k].at - s.at : null,
        activationEvent: s?.activationEvent ?? null,
        ...(self[k].chunksLoaded ? { chunksLoadedByActivation: self[k].chunksLoaded } : {}),
      };
    }
    out.incidentRoom.onlineMs = onlineMs;
    out.otherActivations = Object.keys(rows).length - names.length;
    out.wallS = Math.round((performance.now() - started) / 100) / 10;
    log(`  start ${index} (${first} first): Incident Room vscode ${out.incidentRoom.vscodeMs} ms / self ${out.incidentRoom.selfMs} ms (chunks loaded by activation: ${out.incidentRoom.chunksLoadedByActivation ?? '?'}) / online ${out.incidentRoom.onlineMs} ms; trivial vscode ${out.trivial.vscodeMs} ms / self ${out.trivial.selfMs} ms (${out.wallS} s)`);
    return out;
  } finally {
    await server.stop();
  }
}

/** `starts` fresh code-servers in a row, one Chromium for all of them; `extensionDir` holds Incident Room as built. */
export async function benchActivation({ starts, extensionDir, log = () => {} }) {
  const context = await launchBrowser({ viewport: { width: 1400, height: 1600 } });
  const samples = [];
  try {
    // Alternate which of the two the extension host activates first (see oneStart).
    for (let i = 1; i <= starts; i++) samples.push(await oneStart(context, i, extensionDir, log, i % 2 === 1 ? 'trivial' : 'incidentRoom'));
  } finally {
    await context.close();
  }
  return samples;
}
