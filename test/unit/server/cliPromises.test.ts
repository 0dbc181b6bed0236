import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer, type Server } from 'node:net';
import path from 'node:path';
import { DEFAULT_LIMITS } from '../../../src/server/channelServer';
import { type CliIo, runCli, USAGE } from '../../../src/server/cli';
import { SERVER_NODE_FLAGS } from '../../../src/server/nodeFlags';
import { until } from '../../support/until';
import { httpGet, rawSocket, removeTempDirs, tempDir, TestClient, upgradeStatus } from './helpers';

/**
 * runCli in this process, with a recording `io` instead of the real one: what an operator sees (stdout, stderr, the
 * exit code, the signals it answers), from a real server on a real port over real sockets and real folders.
 * cli.test.ts runs the bundled CLI as a child process; this file sees the same from inside, where a mutation tester
 * looks.
 */

type Handler = (signal: NodeJS.Signals) => void;

interface LogLine {
  readonly time: string;
  readonly level: string;
  readonly event: string;
  readonly [field: string]: unknown;
}

/** One run of runCli and everything it did to its `io`. */
interface Run {
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
  readonly exits: number[];
  /** stderr as it was at each exit: what had happened by then. */
  readonly stderrAtExit: string[];
  readonly handlers: Map<NodeJS.Signals, Handler>;
  /** runCli's promise: settled once the server listens (or the start failed). */
  readonly started: Promise<void>;
}

/** Not the test process's pid: the start line must log the one `io` gives. */
const PID = 424_242;

const runs: Run[] = [];

/** `execArgv`: the node flags the process was started with (as deployed, unless a test says otherwise). */
function run(args: string[], env: NodeJS.ProcessEnv = {}, execArgv: readonly string[] = SERVER_NODE_FLAGS): Run {
  const handlers = new Map<NodeJS.Signals, Handler>();
  const r = { stdout: '', stderr: '', exitCode: undefined as number | undefined, exits: [] as number[], stderrAtExit: [] as string[], handlers } as Run & { started: Promise<void> };
  const io: CliIo = {
    stdout: { write: (text: string) => (r.stdout += text) },
    stderr: { write: (text: string) => (r.stderr += text) },
    setExitCode: (code) => (r.exitCode = code),
    exit: (code) => {
      r.exits.push(code);
      r.stderrAtExit.push(r.stderr);
    },
    onSignal: (signal, handler) => {
      assert.equal(handlers.has(signal), false, `one handler for ${signal}`);
      handlers.set(signal, handler);
    },
    pid: PID,
    execArgv,
  };
  r.started = runCli(args, env, io);
  runs.push(r);
  return r;
}

/** Run to the end of the start (listening, or failed). */
async function start(args: string[], env: NodeJS.ProcessEnv = {}, execArgv?: readonly string[]): Promise<Run> {
  const r = run(args, env, execArgv);
  await r.started;
  return r;
}

/** The JSON log lines on stderr (or in `stderr`). */
function logs(r: Run, stderr = r.stderr): LogLine[] {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
}

function logged(r: Run, event: string): LogLine[] {
  return logs(r).filter((l) => l.event === event);
}

/** The lines on stderr that are not log lines (a failed start has exactly one). */
function plainErrors(r: Run): string[] {
  return r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('{'));
}

/** The port of the one `listening on` line, which must be all of stdout. */
function listeningPort(r: Run): number {
  const m = /^listening on ws:\/\/127\.0\.0\.1:(\d+)\n$/.exec(r.stdout);
  assert.ok(m, `exactly one listening line on stdout: ${JSON.stringify(r.stdout)} ${r.stderr}`);
  const port = Number(m[1]);
  assert.ok(port > 0);
  return port;
}

/** Deliver `signal` through the handler runCli registered, and wait for the process to "exit". */
async function signal(r: Run, sig: NodeJS.Signals): Promise<number> {
  const handler = r.handlers.get(sig);
  assert.ok(handler, `a ${sig} handler is registered`);
  handler(sig);
  return until(`exit after ${sig}`, () => r.exits.at(-1));
}

/** What an operator runs into when connecting after the stop: nothing listens. */
function connectionRefused(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = netConnect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

function busyPort(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => resolve(s));
  });
}

function portOf(s: Server): number {
  return (s.address() as { port: number }).port;
}

function tokensFile(): string {
  const file = path.join(tempDir(), 'tokens.json');
  writeFileSync(file, JSON.stringify([
    { name: 'alice', token: 'tok-alice-7f3e21', channels: ['*'] },
    { name: 'prometheus', token: 'tok-prom-0c9d55', channels: [], metrics: true },
  ]));
  return file;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('server/cli in-process: runCli with a recording io', function () {
  this.timeout(20_000);

  afterEach(async () => {
    // Whatever a test started (or a broken start left running) is stopped: no handle outlives its test.
    for (const r of runs.splice(0)) {
      await r.started.catch(() => undefined);
      const [sig, stop] = [...r.handlers].at(0) ?? [];
      if (stop && r.exits.length === 0) {
        stop(sig!);
        await until('a leftover server stopped', () => r.exits.length > 0);
      }
    }
  });
  after(removeTempDirs);

  it('--help prints every flag and every limit variable with its meaning and default, and starts nothing', async () => {
    const r = await start(['--help']);
    assert.deepEqual([r.stderr, r.exitCode, r.exits, r.handlers.size], ['', undefined, [], 0]);
    assert.equal((await start(['-h'])).stdout, r.stdout, '-h is --help');
    const text = r.stdout;
    // Four paragraphs, each line filled in: usage; what it prints and its exit codes; options; environment.
    const paragraphs = text.split('\n\n');
    assert.equal(paragraphs.length, 4, text);
    assert.equal(paragraphs[0], `usage: ${USAGE}`);
    assert.equal(paragraphs[1], 'The Incident Room channel server (docs/PROTOCOL.md). Prints "listening on ws://HOST:PORT" once it accepts\n'
      + 'connections; logs JSON lines on stderr. Exit codes: 0 stopped (SIGTERM/SIGINT), 1 failed, 2 bad configuration.');
    const options = paragraphs[2]!.split('\n');
    assert.equal(options[0], 'Options:');
    const option = (flag: string) => options.find((l) => l === `  ${flag}` || l.startsWith(`  ${flag} `)) ?? assert.fail(`--help names ${flag}`);
    assert.match(option('--host HOST'), /address to bind \(default 127\.0\.0\.1; anything but loopback needs --tokens\)$/);
    assert.match(option('--port PORT'), /port for WebSocket upgrades \(\/v1\/channels\/NAME\) and \/healthz \(default 7077; 0: any free port\)$/);
    assert.match(option('--data DIR'), /the file store's folder \(default \.\/incident-room-data; --store file only\)$/);
    assert.match(option('--tokens FILE'), /JSON list of tokens: \[\{ "name", "token", "channels": \[\.\.\.\] \}\]; without it any client is$/);
    assert.equal(options[options.indexOf(option('--tokens FILE')) + 1]!.trim(), 'accepted and only loopback may be bound');
    assert.equal(option('--store file|memory|postgres').trim(), '--store file|memory|postgres');
    const store = options.slice(options.indexOf(option('--store file|memory|postgres')) + 1, options.indexOf(option('--pg-url URL'))).map((l) => l.trim()).join(' ');
    assert.equal(store, 'where events are kept (default file): file = an fsync\'d log in --data, one server per folder; memory = nothing survives a restart;'
      + ' postgres = a PostgreSQL database that any number of servers may share (each serves any channel; the schema is created and migrated on start)');
    assert.match(option('--pg-url URL'), /the database for --store postgres, e\.g\. postgres:\/\/user:password@db:5432\/incidents$/);
    assert.equal(options[options.indexOf(option('--pg-url URL')) + 1]!.trim(), '(default: $DATABASE_URL)');
    assert.match(option('--allow-origin ORIGIN'), /a web origin \(https:\/\/host\[:port\]\) whose pages may open sessions; repeatable$/);
    assert.match(option('--metrics-port PORT'), /a second listener serving \/healthz and \/metrics without a token$/);
    assert.match(option('--metrics-host HOST'), /its address \(default 127\.0\.0\.1\)$/);
    assert.equal(options.at(-1), '  -h, --help               this text');
    const environment = paragraphs[3]!;
    assert.ok(environment.endsWith('\n'), 'the text ends with a newline');
    const env = environment.slice(0, -1).split('\n');
    assert.equal(env[0], 'Environment (limits are per connection; each must be a positive integer):');
    assert.equal(env[1], `  ${'DATABASE_URL'.padEnd(40)}the database for --store postgres when --pg-url is not given`);
    // The defaults are the code's (DEFAULT_LIMITS), so the text cannot drift from what the server does.
    const limits: [string, keyof typeof DEFAULT_LIMITS, string][] = [
      ['INCIDENT_ROOM_MESSAGES_PER_SECOND', 'messagesPerSecond', 'messages a connection may send per second, sustained'],
      ['INCIDENT_ROOM_BURST', 'burst', 'messages a connection may send at once above that rate'],
      ['INCIDENT_ROOM_PATIENCE', 'patience', 'messages refused for the rate a connection may send before it is closed (4429)'],
      ['INCIDENT_ROOM_MAX_BUFFERED_BYTES', 'maxBufferedBytes', 'unsent bytes a connection may have queued before it is closed as too slow (4408)'],
      ['INCIDENT_ROOM_PING_INTERVAL_MS', 'pingIntervalMs', 'WebSocket ping period; a peer that misses two pings is dropped'],
      ['INCIDENT_ROOM_HANDSHAKE_TIMEOUT_MS', 'handshakeTimeoutMs', 'time a socket gets for its upgrade and a session for its hello'],
      ['INCIDENT_ROOM_MAX_CONNECTIONS', 'maxConnections', 'sockets open at once (fewer by default when the descriptor limit is lower)'],
      ['INCIDENT_ROOM_MAX_PENDING_PER_ADDRESS', 'maxPendingPerAddress', 'sockets one address may have open before they upgrade'],
    ];
    assert.deepEqual(env.slice(2), limits.map(([name, key, what]) => `  ${name.padEnd(40)}${what} (default ${DEFAULT_LIMITS[key]})`));
    assert.match(text, /INCIDENT_ROOM_BURST {21}messages a connection may send at once above that rate \(default 1000\)$/m);
  });

  // `--host 0.0.0.0` without tokens first: should a check let a bad value through, the start is still refused (with
  // another message) before any store or listener, so no test here ever starts a server by mistake.
  const refusal = 'refusing to bind 0.0.0.0 without --tokens: with no tokens anyone can connect, so only a loopback address (127.0.0.1, ::1, localhost) is allowed';
  const bad: [string[], NodeJS.ProcessEnv, string][] = [
    [['--bogus'], {}, "Unknown option '--bogus'"],
    [['serve'], {}, "Unexpected argument 'serve'. This command does not take positional arguments"],
    [['--port'], {}, "Option '--port <value>' argument missing"],
    [['--port', '--data', 'x'], {}, "Option '--port' argument is ambiguous."],
    [['--port', 'abc'], {}, "--port must be an integer from 0 to 65535, got 'abc'"],
    [['--port', '65536'], {}, "--port must be an integer from 0 to 65535, got '65536'"],
    [['--port', '123456'], {}, "--port must be an integer from 0 to 65535, got '123456'"],
    [['--port', 'x80'], {}, "--port must be an integer from 0 to 65535, got 'x80'"],
    [['--port', '80x'], {}, "--port must be an integer from 0 to 65535, got '80x'"],
    [['--metrics-port', '99999'], {}, "--metrics-port must be an integer from 0 to 65535, got '99999'"],
    [['--store', 'sql'], {}, "--store must be file, memory or postgres, got 'sql'"],
    [['--pg-url', 'postgres://db/x'], {}, '--pg-url needs --store postgres'],
    [['--store', 'postgres'], {}, '--store postgres needs --pg-url URL (or DATABASE_URL)'],
    [['--store', 'postgres'], { DATABASE_URL: '' }, '--store postgres needs --pg-url URL (or DATABASE_URL)'],
    [['--store', 'postgres'], { DATABASE_URL: '   ' }, '--store postgres needs --pg-url URL (or DATABASE_URL)'],
    [['--store', 'postgres', '--pg-url', 'mysql://u:secret@db/x'], {}, '--pg-url must be a URL like postgres://user:password@host:5432/database'],
    [['--store', 'postgres'], { DATABASE_URL: 'mysql://u:secret@db/x' }, 'DATABASE_URL must be a URL like postgres://user:password@host:5432/database'],
    [['--host', '  '], {}, '--host must not be empty'],
    [['--data', ' '], {}, '--data must not be empty'],
    [['--metrics-port', '0', '--metrics-host', ' '], {}, '--metrics-host must not be empty'],
    [['--metrics-host', '::1'], {}, '--metrics-host needs --metrics-port'],
    [['--allow-origin', '*'], {}, "--allow-origin must be an origin like https://incidents.example.com, got '*' (scheme, host and optional port; no path, no wildcard)"],
    [['--tokens', '/nonexistent/tokens.json'], {}, 'cannot read the tokens file /nonexistent/tokens.json: ENOENT'],
    [[], { INCIDENT_ROOM_BURST: '5x' }, "INCIDENT_ROOM_BURST must be a positive integer, got '5x'"],
    [[], { INCIDENT_ROOM_BURST: 'x5' }, "INCIDENT_ROOM_BURST must be a positive integer, got 'x5'"],
    [[], { INCIDENT_ROOM_PATIENCE: '0' }, "INCIDENT_ROOM_PATIENCE must be a positive integer, got '0'"],
    [[], { INCIDENT_ROOM_MAX_CONNECTIONS: '-1' }, "INCIDENT_ROOM_MAX_CONNECTIONS must be a positive integer, got '-1'"],
    // Good values reach the next check: the refusal to bind.
    [[], {}, refusal],
    [['--port', '65535', '--metrics-port', '0'], { INCIDENT_ROOM_BURST: '', INCIDENT_ROOM_PATIENCE: '1' }, refusal],
  ];
  it('a bad flag, value or environment variable: exit 2, one line `incident-room-server: <message> (usage: ...)` on stderr, nothing else', async () => {
    for (const [args, env, message] of bad) {
      const r = await start(['--host', '0.0.0.0', ...args], env);
      const what = `${args.join(' ')} ${JSON.stringify(env)}`;
      assert.equal(r.stderr, `incident-room-server: ${message} (usage: ${USAGE})\n`, what);
      assert.deepEqual([r.exitCode, r.stdout, r.exits, r.handlers.size], [2, '', [], 0], what);
    }
  });

  it('a process started without the node flags the README gives runs, and its start line names them; NODE_OPTIONS counts', async () => {
    const missing = async (execArgv: readonly string[], env: NodeJS.ProcessEnv = {}) => {
      const r = await start(['--port', '0', '--store', 'memory'], env, execArgv);
      assert.ok(listeningPort(r) > 0);
      return logged(r, 'start')[0]!['missingNodeFlags'];
    };
    assert.deepEqual(await missing([]), [...SERVER_NODE_FLAGS]);
    assert.deepEqual(await missing(['--inspect']), [...SERVER_NODE_FLAGS]);
    assert.equal(await missing([], { NODE_OPTIONS: '--max-semi-space-size=8 --v8-pool-size=2' }), undefined, 'sizes of its own, chosen through NODE_OPTIONS');
    assert.deepEqual(await missing(['--max-semi-space-size=4']), ['--v8-pool-size=1'], 'one of the two');
    assert.equal(await missing(SERVER_NODE_FLAGS), undefined);
  });

  it('--store memory on --port 0: one listening line, a client connects, the start line has its fields; SIGINT stops it (1001, exit 0)', async () => {
    const unused = path.join(tempDir(), 'not-for-memory');
    const r = await start(['--port', '0', '--store', 'memory', '--data', unused, '--tokens', tokensFile(),
      '--allow-origin', 'https://Incidents.Example.com', '--allow-origin', 'https://incidents.example.com', '--metrics-port', '0'],
    { INCIDENT_ROOM_BURST: '', INCIDENT_ROOM_MESSAGES_PER_SECOND: '500' });
    const port = listeningPort(r);
    assert.equal(r.exitCode, undefined);
    const [startLine, ...more] = logged(r, 'start');
    assert.equal(more.length, 0);
    const { time, metrics, ...fields } = startLine!;
    assert.ok(!Number.isNaN(Date.parse(time)));
    const metricsPort = Number(/^http:\/\/127\.0\.0\.1:(\d+)\/metrics$/.exec(String(metrics))?.[1]);
    assert.ok(metricsPort > 0 && metricsPort !== port, String(metrics));
    assert.deepEqual(fields, {
      level: 'info', event: 'start', url: `ws://127.0.0.1:${port}`, store: 'memory', auth: '2 tokens', origins: ['https://incidents.example.com'], pid: PID,
    });
    assert.equal(logged(r, 'recovered').length, 0);
    assert.equal((await httpGet(metricsPort, '/metrics')).status, 200, 'the metrics listener the start line names serves /metrics');

    const c = await TestClient.connect(`ws://127.0.0.1:${port}/v1/channels/payments-oncall`, { token: 'tok-alice-7f3e21' });
    assert.equal(await c.declare(), 'INC-1');
    await assert.rejects(TestClient.connect(`ws://127.0.0.1:${port}/v1/channels/payments-oncall`), /HTTP 401/, 'the tokens are in force');
    const channel = `ws://127.0.0.1:${port}/v1/channels/payments-oncall`;
    const auth = { Authorization: 'Bearer tok-alice-7f3e21' };
    assert.equal(await upgradeStatus(channel, { ...auth, Origin: 'https://incidents.example.com' }), 101, 'an allowed origin');
    assert.equal(await upgradeStatus(channel, { ...auth, Origin: 'https://elsewhere.example' }), 403, 'any other origin');
    await until('the origin probe closed', async () => /^incident_room_connections 1$/m.test((await httpGet(metricsPort, '/metrics')).body));
    assert.deepEqual([...r.handlers.keys()].sort(), ['SIGINT', 'SIGTERM']);

    assert.equal(await signal(r, 'SIGINT'), 0);
    assert.equal((await c.closed).code, 1001);
    assert.deepEqual(r.exits, [0]);
    assert.equal(logs(r, r.stderrAtExit[0]).at(-1)!.event, 'stop', 'the exit came after the server closed');
    assert.equal(await connectionRefused(port), 'ECONNREFUSED');
    const tail = logs(r).filter((l) => l.event === 'stopping' || l.event === 'stop');
    assert.deepEqual(tail.map(({ level, event, signal: sig, connections }) => ({ level, event, signal: sig, connections })), [
      { level: 'info', event: 'stopping', signal: 'SIGINT', connections: 1 },
      { level: 'info', event: 'stop', signal: 'SIGINT', connections: undefined },
    ]);
    assert.equal(logs(r).at(-1)!.event, 'stop');
    assert.equal(existsSync(unused), false, 'the memory store never touches --data');
    assert.equal(r.stdout, `listening on ws://127.0.0.1:${port}\n`, 'nothing more on stdout');
  });

  it('--data DIR (the file store): the start line names the folder; events survive a restart; a torn tail or a damaged record is reported as recovered', async () => {
    const dir = tempDir();
    const first = await start(['--port', '0', '--data', dir]);
    const port = listeningPort(first);
    const { time: _t, ...fields } = logged(first, 'start')[0]!;
    assert.deepEqual(fields, { level: 'info', event: 'start', url: `ws://127.0.0.1:${port}`, store: 'file', data: dir, auth: 'none (loopback only)', pid: PID });
    assert.deepEqual(logs(first).map((l) => l.event), ['store opened', 'start'], 'a clean start reports no recovery');
    const c = await TestClient.connect(`ws://127.0.0.1:${port}/v1/channels/payments-oncall`);
    const id = await c.declare('Checkout 5xx');
    assert.equal((await c.append(id)).type, 'ack');
    c.close();
    assert.equal(await signal(first, 'SIGTERM'), 0);
    assert.deepEqual(logs(first).slice(-2).map((l) => [l.event, l.signal]), [['stopping', 'SIGTERM'], ['stop', 'SIGTERM']]);

    // A crash in the middle of a write: bytes after the last whole record, cut off on the next start.
    const log = path.join(dir, 'events.log');
    appendFileSync(log, 'torn!');
    const second = await start(['--port', '0', '--data', path.relative(process.cwd(), dir)]);
    listeningPort(second);
    assert.equal(logged(second, 'start')[0]!.data, dir, 'the folder is logged as an absolute path');
    assert.deepEqual(logged(second, 'recovered').map(({ level, events, truncatedBytes, skippedRegions }) => ({ level, events, truncatedBytes, skippedRegions })),
      [{ level: 'warn', events: 2, truncatedBytes: 5, skippedRegions: 0 }]);
    assert.equal(await signal(second, 'SIGTERM'), 0);

    // Bit rot inside the first record (the declaration); the note after it is intact.
    const bytes = readFileSync(log);
    const at = bytes.indexOf('Checkout 5xx');
    assert.ok(at > 0, 'the declaration is in the log');
    bytes[at] = 'X'.charCodeAt(0);
    writeFileSync(log, bytes);
    const third = await start(['--port', '0', '--data', dir]);
    listeningPort(third);
    assert.deepEqual(logged(third, 'recovered').map(({ events, truncatedBytes, skippedRegions }) => ({ events, truncatedBytes, skippedRegions })),
      [{ events: 1, truncatedBytes: 0, skippedRegions: 1 }]);
    assert.equal(await signal(third, 'SIGTERM'), 0);
  });

  it('the INCIDENT_ROOM_* limits of the environment reach the server', async () => {
    const r = await start(['--port', '0', '--store', 'memory'], { INCIDENT_ROOM_MAX_PENDING_PER_ADDRESS: '1' });
    const port = listeningPort(r);
    // Sockets that never upgrade, from an address of their own: the second one is over the limit of 1.
    const first = rawSocket(port, { localAddress: '127.0.0.5' });
    await first.ready;
    const second = rawSocket(port, { localAddress: '127.0.0.5' });
    await second.closed;
    assert.equal(first.isClosed(), false);
    assert.deepEqual(logged(r, 'socket refused').map(({ reason, remote }) => ({ reason, remote })), [{ reason: 'per_address', remote: '127.0.0.5' }]);
    first.socket.destroy();
    assert.equal(await signal(r, 'SIGTERM'), 0);
  });

  it('a second signal while stopping exits 1 at once with `second signal: exiting now`', async () => {
    const r = await start(['--port', '0', '--store', 'memory']);
    const port = listeningPort(r);
    const c = await TestClient.connect(`ws://127.0.0.1:${port}/v1/channels/payments-oncall`);
    r.handlers.get('SIGTERM')!('SIGTERM');
    r.handlers.get('SIGINT')!('SIGINT');
    assert.deepEqual(r.exits, [1], 'exit 1 without waiting for the stop');
    assert.deepEqual(logs(r).slice(-2).map(({ level, event, signal: sig }) => [level, event, sig]), [
      ['info', 'stopping', 'SIGTERM'],
      ['warn', 'second signal: exiting now', 'SIGINT'],
    ]);
    // The real process is gone here; this one lets the first stop finish, once.
    await until('the first stop finished', () => r.exits.length === 2);
    assert.deepEqual(r.exits, [1, 0]);
    await c.closed;
    assert.deepEqual(logs(r).map((l) => l.event).filter((e) => e.startsWith('stop')), ['stopping', 'stop']);
  });

  it('a data directory it cannot create: exit 1 naming the directory and the problem (ENOTDIR); one it cannot open: the error itself', async () => {
    const file = path.join(tempDir(), 'a-file');
    writeFileSync(file, 'not a folder');
    const data = path.join(file, 'data');
    const r = await start(['--port', '0', '--data', data]);
    assert.equal(r.stderr, `incident-room-server: cannot write to the data directory ${data}: a part of the path is not a directory (ENOTDIR on ${data}); the server needs to read and write it (--data)\n`);
    assert.deepEqual([r.exitCode, r.stdout, r.exits, r.handlers.size], [1, '', [], 0]);

    // An error that is not about permissions or space: its message and stack, on one line.
    const other = await start(['--port', '0', '--data', file]);
    assert.deepEqual([other.exitCode, other.stdout, other.handlers.size], [1, '', 0]);
    assert.match(other.stderr, new RegExp(`^incident-room-server: cannot open the store in ${escape(file)}: Error: EEXIST: file already exists, mkdir '${escape(file)}' at \\S[^\\n]*\\n$`));
    assert.doesNotMatch(other.stderr, / {2}/, 'the stack is folded onto one line');
  });

  it('a folder holding something else than an event log: exit 1 with the store\'s own message, the file untouched', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'events.log'), 'somebody else\'s file, not an event log');
    const r = await start(['--port', '0', '--data', dir]);
    assert.equal(r.stderr, `incident-room-server: ${path.join(dir, 'events.log')} is not an Incident Room event log (unknown header); refusing to touch it\n`);
    assert.deepEqual([r.exitCode, r.stdout, r.handlers.size], [1, '', 0]);
    assert.equal(readFileSync(path.join(dir, 'events.log'), 'utf8'), 'somebody else\'s file, not an event log');
  });

  it('a port in use: exit 1 `cannot listen on HOST:PORT: EADDRINUSE`, for the channel port and for the metrics port; the store is closed', async () => {
    const busy = await busyPort('127.0.0.1');
    const busyMetrics = await busyPort('127.0.0.2');
    try {
      const dir = tempDir();
      const r = await start(['--port', String(portOf(busy)), '--data', dir]);
      assert.deepEqual(plainErrors(r), [`incident-room-server: cannot listen on 127.0.0.1:${portOf(busy)}: EADDRINUSE`]);
      assert.deepEqual([r.exitCode, r.stdout, r.handlers.size], [1, '', 0]);
      assert.equal(existsSync(path.join(dir, 'LOCK')), false, 'the store was closed: its lock is released');
      const m = await start(['--port', '0', '--store', 'memory', '--metrics-port', String(portOf(busyMetrics)), '--metrics-host', '127.0.0.2']);
      assert.deepEqual(plainErrors(m), [`incident-room-server: cannot listen on 127.0.0.2:${portOf(busyMetrics)}: EADDRINUSE`]);
      assert.deepEqual([m.exitCode, m.stdout, m.handlers.size], [1, '', 0]);
    } finally {
      busy.close();
      busyMetrics.close();
    }
  });

  it('an address this host does not have: exit 1 `cannot listen on HOST:PORT: EADDRNOTAVAIL`; any other listen error: `failed to start` and the error', async () => {
    const tokens = tokensFile();
    const r = await start(['--host', '192.0.2.1', '--port', '0', '--store', 'memory', '--tokens', tokens]);
    assert.deepEqual(plainErrors(r), ['incident-room-server: cannot listen on 192.0.2.1:0: EADDRNOTAVAIL']);
    assert.deepEqual([r.exitCode, r.stdout, r.handlers.size], [1, '', 0]);
    // A link-local IPv6 address without its interface: the kernel says EINVAL.
    const other = await start(['--host', 'fe80::1', '--port', '0', '--store', 'memory', '--tokens', tokens]);
    const [line, ...rest] = plainErrors(other);
    assert.deepEqual(rest, []);
    assert.match(line!, /^incident-room-server: failed to start: Error: listen E[A-Z]+: [^\n]* at \S/);
    assert.doesNotMatch(line!, / {2}/, 'the stack is folded onto one line');
    assert.deepEqual([other.exitCode, other.stdout, other.handlers.size], [1, '', 0]);
  });

  it('--store postgres with a database that does not answer: exit 1 with the reason, never the password, nothing in --data', async () => {
    const never = path.join(tempDir(), 'never');
    const r = await start(['--port', '0', '--store', 'postgres', '--pg-url', 'postgres://ir:s3cret-pw@127.0.0.1:1/incidents', '--data', never]);
    assert.deepEqual(plainErrors(r), ['incident-room-server: cannot open the PostgreSQL store: connect ECONNREFUSED 127.0.0.1:1']);
    assert.deepEqual([r.exitCode, r.stdout, r.handlers.size], [1, '', 0]);
    const fromEnv = await start(['--port', '0', '--store', 'postgres', '--data', never], { DATABASE_URL: 'postgresql://ir:s3cret-pw@127.0.0.1:1/incidents' });
    assert.deepEqual(plainErrors(fromEnv), ['incident-room-server: cannot open the PostgreSQL store: connect ECONNREFUSED 127.0.0.1:1']);
    for (const x of [r, fromEnv]) assert.doesNotMatch(x.stderr, /s3cret/);
    assert.equal(existsSync(never), false);
  });
});
