import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../../src/server/auth';
import { limitsFromEnv, parseCli } from '../../../src/server/cli';
import { until } from '../../support/until';
import { noteEvent, removeTempDirs, runServerCli, spawnServer, tempDir, TestClient } from './helpers';

describe('server/cli: incident-room-server as PROTOCOL.md describes it', function () {
  this.timeout(30_000);
  after(removeTempDirs);

  it('parses the flags with their defaults', () => {
    const none = { allowedOrigins: [], metricsPort: null, metricsHost: '127.0.0.1', help: false };
    assert.deepEqual(parseCli([]), { host: '127.0.0.1', port: 7077, data: './incident-room-data', tokensFile: null, store: 'file', ...none });
    assert.deepEqual(parseCli(['--host', '::1', '--port', '0', '--data', '/d', '--tokens', 't.json', '--store', 'memory']),
      { host: '::1', port: 0, data: '/d', tokensFile: 't.json', store: 'memory', ...none });
    assert.deepEqual(parseCli(['--port=9000']).port, 9000);
    assert.deepEqual(limitsFromEnv({ INCIDENT_ROOM_MESSAGES_PER_SECOND: '5000' }), { messagesPerSecond: 5000 });
    assert.throws(() => limitsFromEnv({ INCIDENT_ROOM_BURST: 'lots' }), ConfigError);
  });

  const bad: [string[], RegExp][] = [
    [['--bogus'], /Unknown option '--bogus'/],
    [['--port', 'abc'], /--port must be an integer from 0 to 65535, got 'abc'/],
    [['--port', '70000'], /--port must be an integer from 0 to 65535/],
    [['--port'], /--port/],
    [['--store', 'sql'], /--store must be file, memory or postgres, got 'sql'/],
    [['--store', 'postgres'], /--store postgres needs --pg-url URL \(or DATABASE_URL\)/],
    [['--pg-url', 'postgres://db/x'], /--pg-url needs --store postgres/],
    [['--store', 'postgres', '--pg-url', 'mysql://u:secret@db/x'], /--pg-url must be a URL like postgres:\/\/user:password@host:5432\/database\)?/],
    [['serve'], /Unexpected argument 'serve'/],
    [['--tokens', '/nonexistent/tokens.json'], /cannot read the tokens file \/nonexistent\/tokens\.json: ENOENT/],
  ];
  it('exits 2 with one clear line on stderr for each bad flag', async () => {
    const results = await Promise.all(bad.map(([args]) => runServerCli(args, { DATABASE_URL: '' })));
    bad.forEach(([args, message], i) => {
      const r = results[i]!;
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, message);
      assert.match(r.stderr, /^incident-room-server: [^\n]+ \(usage: incident-room-server \[--host[^\n]*\)\n$/, `one line: ${JSON.stringify(r.stderr)}`);
      assert.doesNotMatch(r.stderr, /secret/, 'a database URL is never echoed (it may carry a password)');
    });
  });

  it('takes the database of --store postgres from --pg-url, else DATABASE_URL', () => {
    const url = 'postgres://ir:pw@db.internal:5432/incidents';
    assert.deepEqual([parseCli(['--store', 'postgres', '--pg-url', url]).store, parseCli(['--store', 'postgres', '--pg-url', url]).pgUrl], ['postgres', url]);
    assert.equal(parseCli(['--store', 'postgres'], { DATABASE_URL: url }).pgUrl, url);
    assert.equal(parseCli(['--store', 'postgres', '--pg-url', 'postgresql://other/db'], { DATABASE_URL: url }).pgUrl, 'postgresql://other/db', '--pg-url wins');
    assert.equal(parseCli([], { DATABASE_URL: url }).store, 'file', 'the file store stays the default');
    assert.equal('pgUrl' in parseCli([], { DATABASE_URL: url }), false);
    assert.throws(() => parseCli(['--store', 'postgres'], { DATABASE_URL: 'not a url' }), (e: unknown) => e instanceof ConfigError && /^DATABASE_URL must be a URL like/.test(e.message));
  });

  it('--help documents every flag and every environment variable the server reads, with the defaults in the code', async () => {
    const r = await runServerCli(['--help']);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '');
    for (const flag of ['--host', '--port', '--data', '--tokens', '--store', 'postgres', '--pg-url', '--allow-origin', '--metrics-port', '--metrics-host', '--help']) {
      assert.ok(r.stdout.includes(flag), `--help names ${flag}`);
    }
    const documented = new Set(r.stdout.match(/\b(?:INCIDENT_ROOM_[A-Z_]+|DATABASE_URL)\b/g));
    // Every variable the server's code names is documented, and nothing else is.
    const src = path.join(__dirname, '../../../src');
    const named = new Set(['server', 'store'].flatMap((dir) => readdirSync(path.join(src, dir)).filter((f) => f.endsWith('.ts'))
      .flatMap((f) => readFileSync(path.join(src, dir, f), 'utf8').match(/\b(?:INCIDENT_ROOM_[A-Z_]+|DATABASE_URL)\b/g) ?? [])));
    assert.deepEqual([...documented].sort(), [...named].sort());
    for (const name of documented) {
      if (name !== 'DATABASE_URL') assert.throws(() => limitsFromEnv({ [name]: 'x' }), ConfigError, `${name} is read (a bad value is refused)`);
    }
    for (const [name, value] of [['INCIDENT_ROOM_MESSAGES_PER_SECOND', '200'], ['INCIDENT_ROOM_BURST', '1000'], ['INCIDENT_ROOM_MAX_BUFFERED_BYTES', '8388608'],
      ['INCIDENT_ROOM_PING_INTERVAL_MS', '15000'], ['INCIDENT_ROOM_PATIENCE', '200']] as const) {
      assert.match(r.stdout, new RegExp(`${name} .*\\(default ${value}\\)`), `${name} with its default`);
    }
    assert.ok(documented.has('DATABASE_URL'));
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
    assert.deepEqual(lines.map((l) => l.event), ['store opened', 'start', 'connect', 'stopping', 'stop']);
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

/** Issue #10 item 9 and the new flags. */
describe('server/cli: startup errors say what is wrong', function () {
  this.timeout(30_000);
  after(removeTempDirs);

  it('names a data directory it may not write to, and the permission, instead of "cannot listen"', async () => {
    const root = tempDir();
    const data = path.join(root, 'data');
    mkdirSync(data);
    chmodSync(data, 0o555);
    // Root ignores file modes: run the CLI as nobody then (and let it reach the folder).
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : null;
    if (asNobody) chmodSync(root, 0o755);
    const r = await runServerCli(['--port', '0', '--data', data], {}, 10_000, asNobody);
    assert.equal(r.code, 1, r.stderr);
    const last = r.stderr.trim().split('\n').at(-1)!;
    assert.doesNotMatch(last, /cannot listen/);
    assert.match(last, new RegExp(`^incident-room-server: cannot write to the data directory ${data.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: permission denied \\(EACCES`));
  });

  it('refuses to bind a non-loopback address without tokens before touching the data directory: nothing created, nothing logged', async () => {
    const data = path.join(tempDir(), 'never-created');
    const r = await runServerCli(['--host', '0.0.0.0', '--port', '0', '--data', data]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^incident-room-server: refusing to bind 0\.0\.0\.0 without --tokens[^\n]*\n$/, 'one line, no log before it');
    assert.equal(existsSync(data), false, 'the data directory was not created');
  });

  it('parses --allow-origin (repeatable), --metrics-port and --metrics-host, and refuses bad values', () => {
    const c = parseCli(['--allow-origin', 'https://Incidents.Example.com', '--allow-origin', 'http://localhost:8080/', '--metrics-port', '9100', '--metrics-host', '::1']);
    assert.deepEqual([c.allowedOrigins, c.metricsPort, c.metricsHost], [['https://incidents.example.com', 'http://localhost:8080'], 9100, '::1']);
    assert.deepEqual([parseCli([]).allowedOrigins, parseCli([]).metricsPort, parseCli([]).metricsHost], [[], null, '127.0.0.1']);
    for (const [args, message] of [
      [['--allow-origin', '*'], /--allow-origin must be an origin like https:\/\/incidents\.example\.com, got '\*'/],
      [['--allow-origin', 'https://a.example/app'], /--allow-origin must be an origin/],
      [['--allow-origin', 'null'], /--allow-origin must be an origin/],
      [['--metrics-port', 'x'], /--metrics-port must be an integer from 0 to 65535, got 'x'/],
      [['--metrics-host', '127.0.0.1'], /--metrics-host needs --metrics-port/],
    ] as const) assert.throws(() => parseCli([...args]), (e: unknown) => e instanceof ConfigError && message.test(e.message), args.join(' '));
  });

  it('serves /metrics on --metrics-port, logs its address, and takes a tokens file with a metrics-only token and pinned users', async () => {
    const file = path.join(tempDir(), 'tokens.json');
    writeFileSync(file, JSON.stringify([
      { name: 'prometheus', token: 'tok-prom-5c1e77', channels: [], metrics: true },
      { name: 'alice', token: 'tok-alice-91c2aa', channels: ['*'], users: ['alice@example.com'] },
    ]));
    const server = await spawnServer(['--port', '0', '--store', 'memory', '--tokens', file, '--metrics-port', '0']);
    try {
      await until('start logged', () => server.stderr().includes('"start"'));
      const start = server.stderr().trim().split('\n').map((l) => JSON.parse(l) as { event: string; metrics?: string }).find((l) => l.event === 'start')!;
      assert.match(start.metrics ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const m = await fetch(start.metrics!);
      assert.equal(m.status, 200);
      assert.match(await m.text(), /^incident_room_connections 0$/m);
      assert.equal((await fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: { Authorization: 'Bearer tok-prom-5c1e77' } })).status, 200);
      const c = await TestClient.connect(server.url(), { token: 'tok-alice-91c2aa', user: 'alice@example.com' });
      c.close();
    } finally {
      server.proc.kill('SIGTERM');
      await server.exited;
    }
    writeFileSync(file, JSON.stringify([{ name: 'nothing', token: 'tok-nothing-1', channels: [] }]));
    const r = await runServerCli(['--tokens', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is invalid: \[0\]\.channels: a token needs at least one channel, or "metrics": true/);
    writeFileSync(file, JSON.stringify([{ name: 'nobody', token: 'tok-nobody-1', channels: ['*'], users: [] }]));
    const empty = await runServerCli(['--tokens', file]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /is invalid: \[0\]\.users: /);
  });
});
