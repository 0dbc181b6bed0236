import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { missingNodeFlags, SERVER_NODE_FLAGS } from '../../../src/server/nodeFlags';
import { until } from '../../support/until';
import { removeTempDirs, spawnServer, tempDir } from './helpers';

const root = path.join(__dirname, '../../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const flags = SERVER_NODE_FLAGS.join(' ');

describe('server/nodeFlags: the server runs with its node flags wherever it is started', function () {
  this.timeout(30_000);
  after(removeTempDirs);

  it('every launcher passes them: npm start, the systemd unit, the README container; the README gives them for the bin', () => {
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    assert.match(pkg.scripts['start']!, new RegExp(`&& node ${flags} dist/server\\.js `));
    // Not on the bin's #! line: `env -S` would pass them, but BusyBox's env (Alpine's) has no -S.
    assert.equal(read('bin/incident-room-server.js').split('\n')[0], '#!/usr/bin/env node');
    assert.ok(read('README.md').replace(/\s+/g, ' ').includes(`NODE_OPTIONS='${flags}' incident-room-server`), 'the README says how the bin gets them');
    assert.match(read('deploy/systemd/incident-room@.service'), new RegExp(`^ExecStart=/usr/bin/node ${flags} /opt/incident-room/dist/server\\.js `, 'm'));
    const cmd = /^CMD (\[.*\])$/m.exec(read('README.md'));
    assert.ok(cmd, 'the README gives a container CMD');
    const argv = JSON.parse(cmd[1]!) as string[];
    assert.deepEqual(argv.slice(0, SERVER_NODE_FLAGS.length + 2), ['node', ...SERVER_NODE_FLAGS, 'dist/server.js']);
  });

  it('node takes them: the young generation stays at 4 MB semi-spaces under a load that grows the default to 16; one V8 worker thread', () => {
    // Objects that survive, as an alert storm's signals do, are what makes V8 grow its semi-spaces.
    const script = "const keep=[];for(let i=0;i<3e6;i++){const o={a:i,b:'x'+i};if(i%3===0)keep.push(o)}" +
      "process.stdout.write(String(require('v8').getHeapSpaceStatistics().find((s)=>s.space_name==='new_space').space_size))";
    const newSpace = (argv: readonly string[]) => Number(execFileSync(process.execPath, [...argv, '-e', script], { env: { ...process.env, NODE_OPTIONS: '' } }));
    const MB = 1024 * 1024;
    const flagged = newSpace(SERVER_NODE_FLAGS);
    assert.ok(flagged <= 2 * 4 * MB, `with ${flags}: ${flagged / MB} MB`);
    assert.ok(newSpace([]) > 2 * 4 * MB, 'without them V8 grows it past that (else the flag would measure nothing)');
    // The process's threads (Linux): node's default pool has 4 V8 workers, the server's 1.
    const threads = (argv: readonly string[]) => Number(execFileSync(process.execPath, [...argv, '-e',
      "process.stdout.write(/Threads:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status','utf8'))[1])"], { env: { ...process.env, NODE_OPTIONS: '' } }));
    assert.equal(threads([]) - threads(SERVER_NODE_FLAGS), 3, 'three V8 worker threads fewer');
  });

  it('says which are missing, by name, from the command line or NODE_OPTIONS', () => {
    assert.deepEqual(missingNodeFlags([], ''), [...SERVER_NODE_FLAGS]);
    assert.deepEqual(missingNodeFlags(['--max-semi-space-size=4', '--v8-pool-size=1'], ''), []);
    assert.deepEqual(missingNodeFlags(['--max-semi-space-size=4'], ''), ['--v8-pool-size=1'], 'each by its own name');
    assert.deepEqual(missingNodeFlags(['--max_semi_space_size=16', '--v8-pool-size=4'], ''), [], 'a deployment that chose its own sizes has chosen');
    assert.deepEqual(missingNodeFlags(['--inspect'], '--max-old-space-size=512  --max-semi-space-size=8 --v8-pool-size=2'), []);
    assert.deepEqual(missingNodeFlags(['--max-old-space-size=4'], ''), [...SERVER_NODE_FLAGS], 'another flag is not this one');
  });

  it('a server started without them runs, and its start line says what is missing', async () => {
    const start = async (nodeFlags?: readonly string[]) => {
      const server = await spawnServer(['--port', '0', '--data', tempDir()], { NODE_OPTIONS: '' }, nodeFlags ? { nodeFlags } : {});
      // The line is written as it prints `listening on`, and read from its stderr a moment later.
      const line = await until('the start line', () => server.stderr().split('\n').map((l) => (l ? JSON.parse(l) as { event: string; missingNodeFlags?: string[] } : null)).find((l) => l?.event === 'start') ?? undefined);
      server.proc.kill('SIGTERM');
      assert.deepEqual(await server.exited, { code: 0, signal: null });
      return line;
    };
    assert.equal((await start()).missingNodeFlags, undefined, 'started as deployed');
    assert.deepEqual((await start([])).missingNodeFlags, [...SERVER_NODE_FLAGS]);
  });
});
