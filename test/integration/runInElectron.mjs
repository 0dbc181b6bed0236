// Runs the integration suite in VS Code desktop through @vscode/test-electron (what a developer with internet
// access gets). Where VS Code cannot be downloaded (our machines reach only the npm registry and Debian apt) it
// prints one line and runs nothing: such a run is neither passed nor failed; runInCodeServer.mjs is the suite
// that runs here.
//
// usage: node test/integration/runInElectron.mjs
// prints: `integration (test-electron): N passed, M failed`, or one line saying why the suite was not run
// writes: test-output/integration/electron/results.json, and summary.json ({status: ran|unavailable, reason})
// exit:   0 passed or unavailable, 1 a test failed, 2 VS Code was there but the suite could not run
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';
import { execFileSync } from 'node:child_process';
import dns from 'node:dns';
import fs from 'node:fs';
import path from 'node:path';
import { CACHE_DIR, OUTPUT_DIR, REPO_ROOT, ensureBuilt, makeRunDir } from '../e2e/codeServer.mjs';
import { buildIntegrationTests } from './build.mjs';

const RESULT_DIR = path.join(OUTPUT_DIR, 'integration', 'electron');
const DOWNLOAD_HOST = 'update.code.visualstudio.com';

function unavailable(reason) {
  console.log(`test-electron: VS Code could not be downloaded here (${reason}), suite not run`);
  fs.writeFileSync(path.join(RESULT_DIR, 'summary.json'), JSON.stringify({ status: 'unavailable', reason }));
  return 0;
}

/** A DNS answer within 3 s, or the error code why not: keeps the offline case to a few seconds. */
async function resolvable(host) {
  const timeout = new Promise((resolve) => setTimeout(() => resolve('DNS timeout'), 3000).unref());
  const lookup = dns.promises.lookup(host).then(() => undefined, (e) => e.code || e.message);
  return Promise.race([lookup, timeout]);
}

function networkErrorCode(e) {
  const text = `${e?.code ?? ''} ${e?.message ?? e}`;
  return /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH)\b/.exec(text)?.[1]
    || (/timeout|timed out|Failed to (download|get)|status code/i.test(text) ? text.trim().split('\n')[0] : undefined);
}

async function main() {
  fs.rmSync(RESULT_DIR, { recursive: true, force: true });
  fs.mkdirSync(RESULT_DIR, { recursive: true });

  const dnsError = await resolvable(DOWNLOAD_HOST);
  if (dnsError) return unavailable(dnsError);

  let vscodeExecutablePath;
  try {
    // idle timeout: a network that resolves names but drops the connection fails in seconds, not minutes
    vscodeExecutablePath = await downloadAndUnzipVSCode({ cachePath: path.join(CACHE_DIR, 'vscode-test'), timeout: 15_000 });
  } catch (e) {
    const code = networkErrorCode(e);
    if (code) return unavailable(code);
    throw e;
  }

  ensureBuilt();
  const runner = await buildIntegrationTests();
  const runDir = makeRunDir('electr');
  const launchArgs = [
    path.join(runDir, 'workspace'), '--disable-extensions', '--disable-workspace-trust', '--skip-welcome',
    '--user-data-dir', path.join(runDir, 'data'), '--extensions-dir', path.join(runDir, 'ext'),
  ];
  fs.mkdirSync(launchArgs[0], { recursive: true });
  // Electron needs a display; on a headless Linux box run it under xvfb-run when that is installed.
  const needsXvfb = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
  if (needsXvfb && !hasCommand('xvfb-run')) {
    console.log('test-electron: no display for VS Code desktop (DISPLAY unset, xvfb-run not installed), suite not run');
    fs.writeFileSync(path.join(RESULT_DIR, 'summary.json'), JSON.stringify({ status: 'unavailable', reason: 'no display' }));
    return 0;
  }
  let exit;
  try {
    exit = await runTests({
      vscodeExecutablePath: needsXvfb ? xvfbWrapper(vscodeExecutablePath, runDir) : vscodeExecutablePath,
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: runner,
      launchArgs,
      extensionTestsEnv: { RESULT_DIR, HOME: path.join(runDir, 'home'), TMPDIR: path.join(runDir, 'tmp') },
    });
  } catch (e) {
    exit = e?.message ?? String(e);
  } finally {
    if (!process.env.KEEP_RUN_DIR) fs.rmSync(runDir, { recursive: true, force: true });
  }
  const resultsFile = path.join(RESULT_DIR, 'results.json');
  if (!fs.existsSync(resultsFile)) {
    console.log(`integration (test-electron): suite did not run (${exit})`);
    return 2;
  }
  const { passed, failed } = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
  fs.writeFileSync(path.join(RESULT_DIR, 'summary.json'), JSON.stringify({ status: 'ran', passed, failed }));
  console.log(`integration (test-electron): ${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

function hasCommand(name) {
  try { execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }); return true; } catch { return false; }
}

/** A tiny executable that starts VS Code under a virtual X server (runTests takes one executable path). */
function xvfbWrapper(executable, runDir) {
  const wrapper = path.join(runDir, 'code-xvfb');
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec xvfb-run -a "${executable}" "$@"\n`, { mode: 0o755 });
  return wrapper;
}

main().then((code) => process.exit(code), (e) => {
  console.log(`integration (test-electron): suite could not run: ${e.message}`);
  process.exit(2);
});
