import assert from 'node:assert/strict';
import { Backoff } from '../../../src/sync/backoff';
import { Emitter } from '../../../src/sync/emitter';
import { serverKey, serverUrls } from '../../../src/sync/serverUrls';
import { ChannelError, linkFailureOf, type LinkFailure } from '../../../src/sync/transport';

describe('Backoff attempts', () => {
  it('counts the attempts since the last success, for the status shown while reconnecting', () => {
    const b = new Backoff({ initialMs: 100, factor: 2, maxMs: 1000, jitter: 0 });
    assert.equal(b.attempts, 0);
    b.next();
    b.next();
    b.next();
    assert.equal(b.attempts, 3);
    b.reset();
    assert.equal(b.attempts, 0);
  });
});

describe('Emitter', () => {
  it('stops telling a listener once its subscription is disposed, and goes on telling the others', () => {
    const e = new Emitter<number>();
    const a: number[] = [];
    const b: number[] = [];
    const subA = e.event((v) => a.push(v));
    e.event((v) => b.push(v));
    e.fire(1);
    subA.dispose();
    e.fire(2);
    assert.deepEqual(a, [1]);
    assert.deepEqual(b, [1, 2]);
  });

  it('tells no listener once disposed itself (its owner is gone)', () => {
    const e = new Emitter<string>();
    const heard: string[] = [];
    e.event((v) => heard.push(v));
    e.fire('before');
    e.dispose();
    e.fire('after');
    assert.deepEqual(heard, ['before']);
  });

  it('reports a failing listener to the log and still tells the ones after it', () => {
    const e = new Emitter<string>();
    const failure = new Error('listener bug');
    const heard: string[] = [];
    e.event(() => {
      throw failure;
    });
    e.event((v) => heard.push(v));
    const logged: unknown[][] = [];
    const { error } = console;
    console.error = (...args: unknown[]) => logged.push(args);
    try {
      e.fire('incident changed');
    } finally {
      console.error = error;
    }
    assert.deepEqual(heard, ['incident changed']);
    assert.equal(logged.length, 1);
    assert.match(String(logged[0]?.[0]), /^Incident Room: /, 'the log line does not say where it comes from');
    assert.ok(logged[0]?.includes(failure), 'the log line lacks the error');
  });
});

describe('transport failures', () => {
  it('a ChannelError reads as one in the log and carries its failure', () => {
    const failure: LinkFailure = JSON.parse('{"kind":"unauthorized","message":"token expired"}') as LinkFailure;
    const error = new ChannelError(failure);
    assert.equal(String(error), 'ChannelError: token expired');
    assert.deepEqual(linkFailureOf(error), failure);
  });

  it('any other error while opening a link means the server is unreachable, with the error as its message', () => {
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:7077');
    assert.deepEqual(linkFailureOf(refused), { kind: 'unreachable', message: 'Error: connect ECONNREFUSED 127.0.0.1:7077' });
    assert.deepEqual(linkFailureOf('socket hang up'), { kind: 'unreachable', message: 'socket hang up' });
  });
});

describe('serverUrls', () => {
  it('reads one URL or several, however they are separated and padded', () => {
    assert.deepEqual(serverUrls('wss://a.example'), ['wss://a.example']);
    assert.deepEqual(serverUrls('  wss://a.example ,\twss://b.example,\n'), ['wss://a.example', 'wss://b.example']);
    assert.deepEqual(serverUrls(',wss://a.example,,wss://b.example'), ['wss://a.example', 'wss://b.example']);
    assert.deepEqual(serverUrls('   '), []);
  });

  it('keys a setting the same however it is spaced, as stored tokens and outbox folders were keyed before', () => {
    // The key names what is already on disk and in the secret store: it must not change from one version to the next.
    assert.equal(serverKey(' wss://a.example  wss://b.example '), 'wss://a.example,wss://b.example');
    assert.equal(serverKey('wss://a.example,\nwss://b.example'), 'wss://a.example,wss://b.example');
    assert.equal(serverKey('wss://a.example'), 'wss://a.example');
  });
});
