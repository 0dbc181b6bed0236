// Runs the integration suite (test/integration/*.test.ts) inside the extension host of a real VS Code: code-server
// with the smoke-test driver, this repo as the development extension and dist-test/integration/runner.js as
// extensionTestsPath, the way @vscode/test-electron does it with VS Code desktop.
//
// usage: node test/integration/runInCodeServer.mjs
// prints mocha's spec output, then `integration (code-server): N passed, M failed`
// writes: test-output/integration/code-server/results.json ({passed, failed, pending, tests})
// exit:   0 all passed, 1 a test failed, 2 the suite could not run (no results)
import fs from 'node:fs';
import path from 'node:path';
import { OUTPUT_DIR, ensureBuilt, launchBrowser, openWorkbench, startCodeServer } from '../e2e/codeServer.mjs';
import { buildIntegrationTests } from './build.mjs';

const OUTPUT_MARK = '\u2063'; // keep in sync with runner.ts
const RESULT_DIR = path.join(OUTPUT_DIR, 'integration', 'code-server');
const TIMEOUT = Number(process.env.INTEGRATION_TIMEOUT_MS || 180e3);

async function main() {
  fs.rmSync(RESULT_DIR, { recursive: true, force: true });
  fs.mkdirSync(RESULT_DIR, { recursive: true });
  ensureBuilt();
  const runner = await buildIntegrationTests();

  const server = await startCodeServer({ label: 'integration', testsPath: runner, env: { RESULT_DIR } });
  let context;
  let exitCode;
  try {
    context = await launchBrowser();
    const consoleLog = fs.createWriteStream(path.join(RESULT_DIR, 'browser-console.log'));
    let done;
    const exited = new Promise((resolve) => { done = resolve; });
    await openWorkbench(context, server, {
      waitForActivityItem: null,
      onAutomationExit: (code) => done(code),
      onConsole: (line) => {
        consoleLog.write(line + '\n');
        // the extension host forwards mocha's spec output (lines marked by runner.ts) to the browser console
        const at = line.indexOf(OUTPUT_MARK);
        if (at >= 0) console.log(line.slice(at + OUTPUT_MARK.length));
      },
    });
    exitCode = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), TIMEOUT))]);
  } finally {
    await context?.close().catch(() => {});
    await server.stop();
  }

  const resultsFile = path.join(RESULT_DIR, 'results.json');
  if (!fs.existsSync(resultsFile)) {
    console.log(`integration (code-server): suite did not run (exit ${exitCode}); see ${path.relative(process.cwd(), server.logFile)} and ${path.relative(process.cwd(), RESULT_DIR)}/browser-console.log`);
    return 2;
  }
  const { passed, failed } = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
  console.log(`integration (code-server): ${passed} passed, ${failed} failed`);
  return failed > 0 || exitCode !== 0 ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
  console.log(`integration (code-server): suite could not run: ${e.message}`);
  process.exit(2);
});
