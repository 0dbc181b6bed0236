import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../../src/server/auth';
import { limitsFromEnv, parseCli } from '../../../src/server/cli';
import { noteEvent, removeTempDirs, runServerCli, spawnServer, tempDir, TestClient } from './helpers';

describe('server/cli: incident-room-server as PROTOCOL.md describes it', function () {
  this.timeout(30_000);
  after(removeTempDirs);

  it('parses the flags with their defaults', () => {
    assert.deepEqual(parseCli([]), { host: '127.0.0.1', port: 7077, data: './incident-room-data', tokensFile: null, store: 'file', help: false });
    assert.deepEqual(parseCli(['--host', '::1', '--port', '0', '--data', '/d', '--tokens', 't.json', '--store', 'memory']),
      { host: '::1', port: 0, data: '/d', tokensFile: 't.json', store: 'memory', help: false });
    assert.deepEqual(parseCli(['--port=9000']).port, 9000);
    assert.deepEqual(limitsFromEnv({ INCIDENT_ROOM_MESSAGES_PER_SECOND: '5000' }), { messagesPerSecond: 5000 });
    assert.throws(() => limitsFromEnv({ INCIDENT_ROOM_BURST: 'lots' }), ConfigError);
  });

  const bad: [string[], RegExp][] = [
    [['--bogus'], /Unknown option '--bogus'/],
    [['--port', 'abc'], /--port must be an integer from 0 to 65535, got 'abc'/],
    [['--port', '70000'], /--port must be an integer from 0 to 65535/],
    [['--port'], /--port/],
    [['--store', 'sql'], /--store must be file or memory, got 'sql'/],
    [['serve'], /Unexpected argument 'serve'/],
    [['--tokens', '/nonexistent/tokens.json'], /cannot read the tokens file \/nonexistent\/tokens\.json: ENOENT/],
  ];
  it('exits 2 with one clear line on stderr for each bad flag', async () => {
    const results = await Promise.all(bad.map(([args]) => runServerCli(args)));
    bad.forEach(([args, message], i) => {
      const r = results[i]!;
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, message);
      assert.match(r.stderr, /^incident-room-server: [^\n]+ \(usage: incident-room-server \[--host[^\n]*\)\n$/, `one line: ${JSON.stringify(r.stderr)}`);
    });
  });

  it('exits 2 for a tokens file that is not valid, naming the problem', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'broken.json'), '{"name":');
    writeFileSync(path.join(dir, 'wrong.json'), JSON.stringify([{ name: 'x', token: 't', channels: ['Payments'] }]));
    const broken = await runServerCli(['--tokens', path.join(dir, 'broken.json')]);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /is not valid JSON/);
    const wrong = await runServerCli(['--tokens', path.join(dir, 'wrong.json')]);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /is invalid: \[0\]\.channels\[0\]: expected a channel name, a prefix ending in \*, or \*/);
  });

  it('prints `listening on ws://HOST:PORT` with the real port, logs JSON lines, and stops gracefully on SIGTERM (1001, exit 0)', async () => {
    const dir = tempDir();
    const server = await spawnServer(['--port', '0', '--data', dir]);
    assert.ok(server.port > 0);
    const c = await TestClient.connect(server.url());
    const id = await c.declare();
    // An append in flight when the signal lands is still acked before the close.
    const pending = c.append(id, noteEvent('last words'));
    server.proc.kill('SIGTERM');
    assert.equal((await pending).type, 'ack');
    assert.equal((await c.closed).code, 1001);
    assert.deepEqual(await server.exited, { code: 0, signal: null });
    const lines = server.stderr().trim().split('\n').map((l) => JSON.parse(l) as { event: string; level: string; time: string });
    assert.deepEqual(lines.map((l) => l.event), ['store opened', 'start', 'stopping', 'stop']);
    assert.ok(lines.every((l) => l.level === 'info' && !Number.isNaN(Date.parse(l.time))));
  });

  it('refuses a second server on the same data directory with one clear line', async () => {
    const dir = tempDir();
    const first = await spawnServer(['--port', '0', '--data', dir]);
    try {
      const second = await runServerCli(['--port', '0', '--data', dir]);
      assert.equal(second.code, 1);
      assert.match(second.stderr, new RegExp(`^incident-room-server: the store \\S+ is in use by process ${first.proc.pid} on `));
      assert.equal(second.stderr.trim().split('\n').filter((l) => !l.startsWith('{')).length, 1);
    } finally {
      first.proc.kill('SIGTERM');
      await first.exited;
    }
  });

  it('runs with --store memory', async () => {
    const server = await spawnServer(['--port', '0', '--store', 'memory']);
    const c = await TestClient.connect(server.url());
    assert.equal(await c.declare(), 'INC-1');
    c.close();
    server.proc.kill('SIGINT');
    assert.equal((await server.exited).code, 0);
  });
});
