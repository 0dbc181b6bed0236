import assert from 'node:assert/strict';
import { promises as fs, statSync, watch } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChannelClient } from '../../../src/sync/channelClient';
import { LocalChannelHost, type HostLog } from '../../../src/local/localChannelHost';
import { Outbox } from '../../../src/sync/outbox';
import { until } from '../../support/until';

const quiet: HostLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };


/** One VS Code window in local mode: its own host object and client, on the storage all windows share. */
function window(storage: string, name: string) {
  const host = new LocalChannelHost(storage, quiet);
  const client = new ChannelClient({
    transport: host.transport('default'), outbox: new Outbox(storage, 'local#default'),
    user: () => ({ id: `${name}@example.com`, name }), backoff: { initialMs: 50, factor: 2, maxMs: 300, jitter: 0.5 },
  });
  client.start();
  return { host, client };
}

describe('LocalChannelHost: local mode with several windows on one global storage', function () {
  this.timeout(30_000);
  let storage: string;
  const opened: ReturnType<typeof window>[] = [];
  const open = (name: string) => {
    const w = window(storage, name);
    opened.push(w);
    return w;
  };

  beforeEach(async () => {
    storage = await fs.mkdtemp(path.join(os.tmpdir(), 'ir-local-'));
  });
  afterEach(async () => {
    for (const w of opened.splice(0)) {
      w.client.dispose();
      await w.host.close();
    }
    await fs.rm(storage, { recursive: true, force: true });
  });

  it('the first window hosts the channel and the second joins it: both see one log', async () => {
    const a = open('alice');
    await until('a online', () => a.client.connection.status === 'online');
    const b = open('alice');
    await until('b online', () => b.client.connection.status === 'online');
    assert.equal(a.host.hosting, true);
    assert.equal(b.host.hosting, false, 'the store has one owner; the second window is a client of the first');
    const id = await (await a.client.declare({ title: 'Local incident', severity: 'SEV3', symptom: '' })).incidentId;
    a.client.subscribe(id);
    b.client.subscribe(id);
    await b.client.append(id, 'note.added', { text: 'from window B', tag: 'note' });
    await a.client.append(id, 'note.added', { text: 'from window A', tag: 'note' });
    for (const w of [a, b]) await until('both notes', () => w.client.incident(id)?.notes.length === 2);
    assert.deepEqual(a.client.incident(id)?.timeline.map((e) => e.id), b.client.incident(id)?.timeline.map((e) => e.id));
  });

  it('the hosting window talks to the channel in process, the other over loopback; only notes that cross a socket are written to the outbox first', async () => {
    const a = open('alice');
    await until('a online', () => a.client.connection.status === 'online');
    const b = open('bob');
    await until('b online', () => b.client.connection.status === 'online');
    const ignore = { onMessage: () => undefined, onInvalid: () => undefined, onClose: () => undefined };
    const aLink = await a.host.transport('default').open(ignore);
    const bLink = await b.host.transport('default').open(ignore);
    assert.equal(aLink.sameProcess, true, 'the hosting window dials its own channel over a socket');
    assert.notEqual(bLink.sameProcess, true);
    aLink.close(1000, 'test');
    bLink.close(1000, 'test');

    const id = await (await a.client.declare({ title: 'Two ways', severity: 'SEV3', symptom: '' })).incidentId;
    a.client.subscribe(id);
    b.client.subscribe(id);
    const folder = new Outbox(storage, 'local#default').folder;
    await fs.mkdir(folder, { recursive: true });
    const written: string[] = [];
    const watcher = watch(folder, (_e, name) => {
      if (name?.endsWith('.json') && !written.includes(name)) written.push(name);
    });
    try {
      const fromA = await a.client.append(id, 'note.added', { text: 'from the host', tag: 'note' });
      const fromB = await b.client.append(id, 'note.added', { text: 'from the other window', tag: 'note' });
      for (const w of [a, b]) await until('both notes in both windows', () => w.client.incident(id)?.notes.length === 2);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(written.filter((n) => n.includes(fromA)).length, 0, 'the host paid durability twice for its own note');
      assert.equal(written.filter((n) => n.includes(fromB)).length, 1, 'a note sent over the socket was not queued on disk first');
    } finally {
      watcher.close();
    }
  });

  it('when the hosting window closes, another takes over the store and nothing is lost', async () => {
    const a = open('alice');
    await until('a online', () => a.client.connection.status === 'online');
    const b = open('alice');
    await until('b online', () => b.client.connection.status === 'online');
    const id = await (await b.client.declare({ title: 'Survives', severity: 'SEV2', symptom: '' })).incidentId;
    b.client.subscribe(id);
    for (let i = 0; i < 10; i++) await b.client.append(id, 'note.added', { text: `n${i}`, tag: 'note' });
    await until('10 notes', () => b.client.incident(id)?.notes.length === 10);
    // Window A (the host) closes.
    a.client.dispose();
    await a.host.close();
    await until('b back online as the host', () => b.client.connection.status === 'online' && b.host.hosting);
    await b.client.append(id, 'note.added', { text: 'after the takeover', tag: 'fact' });
    const s = await until('11 notes', () => (b.client.incident(id)?.notes.length === 11 ? b.client.incident(id) : undefined));
    assert.deepEqual(s.timeline.map((e) => e.seq), Array.from({ length: 12 }, (_, i) => i + 1));
    // A window opened later reads the same store.
    b.client.dispose();
    await b.host.close();
    const c = open('alice');
    c.client.subscribe(id);
    await until('c sees all 11 notes', () => c.client.incident(id)?.notes.length === 11);
  });

  it('publishes endpoint.json owner-only from the moment it exists, and tightens an existing local-channel folder to 0700', async () => {
    const dir = path.join(storage, 'local-channel');
    await fs.mkdir(dir);
    await fs.chmod(dir, 0o755); // as an older version (or a umask) left it
    // Every file that appears in the folder, stat'ed as it appears: none may ever be readable by others.
    const exposed: string[] = [];
    const watcher = watch(dir, (_event, name) => {
      if (!name) return;
      try {
        const st = statSync(path.join(dir, name));
        if (st.isFile() && (st.mode & 0o077) !== 0) exposed.push(`${name} ${(st.mode & 0o777).toString(8)}`);
      } catch {
        // gone already (a temp file renamed)
      }
    });
    try {
      const a = open('alice');
      await until('a online', () => a.client.connection.status === 'online');
    } finally {
      watcher.close();
    }
    assert.deepEqual(exposed, []);
    assert.equal((await fs.stat(dir)).mode & 0o777, 0o700);
    assert.equal((await fs.stat(path.join(dir, 'endpoint.json'))).mode & 0o777, 0o600);
  });

  it('a window closed while it is still starting to host leaves the store free and nothing running', async () => {
    const first = new LocalChannelHost(storage, quiet);
    // Opening a link starts hosting (store open, server bind); close before that has finished.
    const link = first.transport('default').open({ onMessage: () => undefined, onInvalid: () => undefined, onClose: () => undefined });
    await first.close();
    await link.then((l) => l.close(1000, 'test'), () => undefined);
    assert.equal(first.hosting, false, 'a start that finished after close() left a server running');
    // The next window takes the store at once: the lock was released.
    const b = open('bob');
    await until('b hosts', () => b.client.connection.status === 'online' && b.host.hosting);
  });
});
