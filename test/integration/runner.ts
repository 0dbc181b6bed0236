// The extensionTestsPath module: VS Code loads it inside the extension host and calls run(). It runs every
// *.test.js next to it (the esbuild output of test/integration/**/*.test.ts) with mocha's tdd UI, prints with the
// spec reporter (forwarded to the launcher's console) and writes the counts to $RESULT_DIR/results.json, which
// the launchers (runInCodeServer.mjs, runInElectron.mjs) read.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import Mocha from 'mocha';

/**
 * Prefix of every line the spec reporter prints. code-server forwards the extension host's console to the browser
 * (as "%c INFO ..." messages mixed with the workbench's own logs); the launcher keeps only the marked lines.
 * U+2063 is invisible where the output goes straight to a terminal (test-electron).
 */
export const OUTPUT_MARK = '\u2063';

interface TestResult {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  error?: string;
}

/** No declared parameters on purpose: a run(testsRoot, callback) signature selects VS Code's legacy callback API. */
export function run(): Promise<void> {
  const outDir = process.env.RESULT_DIR || path.join(__dirname, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  Mocha.reporters.Base.consoleLog = (...data: unknown[]) => {
    for (const line of util.format(...data).split('\n')) console.log(OUTPUT_MARK + line);
  };
  const mocha = new Mocha({ ui: 'tdd', timeout: 20_000, color: false, reporter: 'spec' });
  for (const file of testFiles(__dirname)) mocha.addFile(file);

  return new Promise((resolve, reject) => {
    const results: TestResult[] = [];
    const runner = mocha.run((failures) => {
      const count = (state: TestResult['state']) => results.filter((r) => r.state === state).length;
      // `failures` also counts failed hooks, which have no test result of their own
      const failed = Math.max(failures, count('failed'));
      const summary = { passed: count('passed'), failed, pending: count('pending'), tests: results };
      fs.writeFileSync(path.join(outDir, 'results.json'), JSON.stringify(summary, null, 2));
      if (failed > 0) reject(new Error(`${failed} integration test(s) failed`));
      else resolve();
    });
    runner.on('pass', (t) => results.push({ title: t.fullTitle(), state: 'passed' }));
    runner.on('pending', (t) => results.push({ title: t.fullTitle(), state: 'pending' }));
    runner.on('fail', (t, err: unknown) =>
      results.push({ title: t.fullTitle(), state: 'failed', error: String((err instanceof Error && err.stack) || err) }));
  });
}

function testFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...testFiles(p));
    else if (entry.name.endsWith('.test.js')) files.push(p);
  }
  return files.sort();
}
