import * as assert from 'node:assert/strict';
import { OperationQueue } from '../../../src/git/operationQueue';

/** A promise with its resolve and reject outside, to hold an operation open for as long as a test needs. */
function gate(): { promise: Promise<void>; open: () => void; fail: (e: Error) => void } {
  let open!: () => void;
  let fail!: (e: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

/** Let every promise callback queued so far run (the queue starts operations in them). */
const tick = () => new Promise((r) => setImmediate(r));

describe('git/operationQueue', () => {
  it('runs reads together', async () => {
    const q = new OperationQueue();
    const g = gate();
    const started: string[] = [];
    const r1 = q.read('r1', async () => { started.push('r1'); await g.promise; });
    const r2 = q.read('r2', async () => { started.push('r2'); await g.promise; });
    await tick();
    assert.deepEqual(started, ['r1', 'r2']);
    assert.deepEqual(q.reading, ['r1', 'r2']);
    g.open();
    await Promise.all([r1, r2]);
    assert.ok(q.idle);
  });

  it('starts a change only when the reads under way have finished, and holds later reads until it is done', async () => {
    const q = new OperationQueue();
    const log: string[] = [];
    const read1 = gate();
    const change = gate();
    const r1 = q.read('list deploys', async () => { log.push('start read 1'); await read1.promise; log.push('end read 1'); });
    const m = q.run('rollback', async () => { log.push('start rollback'); await change.promise; log.push('end rollback'); });
    const r2 = q.read('plan', async () => { log.push('read 2'); });
    await tick();
    assert.deepEqual(log, ['start read 1'], 'the change waits for the read; the later read waits behind the change');
    assert.deepEqual(q.state, { running: undefined, waiting: ['rollback', 'plan'] });
    read1.open();
    await tick();
    assert.deepEqual(log, ['start read 1', 'end read 1', 'start rollback']);
    assert.deepEqual(q.state, { running: 'rollback', waiting: ['plan'] });
    change.open();
    await Promise.all([r1, m, r2]);
    assert.deepEqual(log, ['start read 1', 'end read 1', 'start rollback', 'end rollback', 'read 2']);
  });

  it('a failed change does not block the queue, and the owner hears of every change that ended', async () => {
    const ended: string[] = [];
    const q = new OperationQueue((op) => ended.push(op));
    const g = gate();
    const m = q.run('revert', async () => { await g.promise; });
    const r = q.read('list', async () => 'listed');
    g.fail(new Error('conflict'));
    await assert.rejects(m, /conflict/);
    assert.equal(await r, 'listed');
    assert.deepEqual(ended, ['revert']);
    await q.read('only a read', async () => undefined);
    assert.deepEqual(ended, ['revert'], 'reads are not changes');
  });

  it('a function that throws before returning a promise fails its own call only', async () => {
    const q = new OperationQueue();
    await assert.rejects(q.run('bad', () => { throw new Error('sync'); }), /sync/);
    assert.equal(await q.run('next', async () => 2), 2);
  });
  it('tells every subscriber when a change ends, until it unsubscribes', async () => {
    const heard: string[] = [];
    const q = new OperationQueue((op) => heard.push(`owner ${op}`));
    const a = q.onDidMutate((op) => heard.push(`a ${op}`));
    q.onDidMutate(() => {
      throw new Error('a faulty subscriber');
    });
    await q.run('one', async () => undefined);
    a.dispose();
    await q.run('two', async () => undefined);
    assert.deepEqual(heard, ['owner one', 'a one', 'owner two']);
    assert.ok(q.idle);
  });
});
