import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runArgv } from '../../../src/git/argvProcess';
import { Scratch } from './gitFixture';

describe('git/argvProcess', () => {
  let scratch: Scratch;
  before(() => (scratch = new Scratch()));
  after(() => scratch.cleanup());

  const node = (code: string, ...args: string[]) => [process.execPath, '-e', code, '--', ...args];

  it('passes every argument literally: no shell sees ; $(...) backticks newlines or globs', async () => {
    const marker = path.join(scratch.root, 'pwned');
    const hostile = [`; touch ${marker}`, `$(touch ${marker})`, `\`touch ${marker}\``, `a\ntouch ${marker}`, '*', '--upload-pack=x', "it's", '"q"'];
    const r = await runArgv(node('process.stdout.write(JSON.stringify(process.argv.slice(1)))', ...hostile), { cwd: scratch.root });
    assert.equal(r.exitCode, 0);
    assert.deepEqual(JSON.parse(r.outputTail), hostile);
    assert.equal(fs.existsSync(marker), false);
  });

  it('captures the exit code and the output tail, streaming chunks as they come', async () => {
    const chunks: string[] = [];
    const r = await runArgv(node("console.log('x'.repeat(50)); console.error('failed: quota'); process.exit(1)"), {
      cwd: scratch.root,
      tailChars: 20,
      onOutput: (c) => chunks.push(c),
    });
    assert.equal(r.exitCode, 1);
    assert.equal(r.cancelled, false);
    assert.equal(r.outputTail.length, 20);
    assert.match(r.outputTail, /failed: quota\n$/);
    assert.match(chunks.join(''), /failed: quota/);
  });

  it('reports a program that cannot start instead of throwing', async () => {
    const r = await runArgv(['./no-such-deploy-script.sh', 'x'], { cwd: scratch.root });
    assert.equal(r.exitCode, null);
    assert.match(r.spawnError ?? '', /command not found/);
    assert.match((await runArgv([], { cwd: scratch.root })).spawnError ?? '', /empty command/);
  });

  it('cancels: SIGTERM on abort, SIGKILL if ignored', async () => {
    const ac = new AbortController();
    const started = Date.now();
    // Abort once the child has installed its SIGTERM handler (it says so), not after a guessed delay.
    const r = await runArgv(node("process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"), {
      cwd: scratch.root,
      signal: ac.signal,
      killGraceMs: 200,
      onOutput: (c) => c.includes('ready') && ac.abort(),
    });
    assert.equal(r.cancelled, true);
    assert.equal(r.signal, 'SIGKILL');
    assert.ok(Date.now() - started < 5000);
    assert.equal((await runArgv(node('1'), { cwd: scratch.root, signal: AbortSignal.abort() })).cancelled, true);
  });
});
