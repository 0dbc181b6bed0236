import assert from 'node:assert/strict';
import { MAX_NESTING, nestingTooDeep, topLevelRequestId } from '../../../src/server/frameGuard';

describe('server/frameGuard', () => {
  it('finds nesting deeper than the limit without parsing, ignoring brackets inside strings', () => {
    const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
    assert.equal(nestingTooDeep(nested(MAX_NESTING)), false);
    assert.equal(nestingTooDeep(nested(MAX_NESTING + 1)), true);
    assert.equal(nestingTooDeep(`{"a":${'{"b":'.repeat(40)}1${'}'.repeat(40)}}`), true);
    // A note full of brackets (code from the editor) is not nesting.
    assert.equal(nestingTooDeep(JSON.stringify({ text: '[['.repeat(500) + '"\\' + '{'.repeat(500) })), false);
    const real = JSON.stringify({ type: 'append', requestId: 'r', incidentId: 'INC-1', event: { id: 'x', kind: 'note.added', at: 'y', data: { text: 't', tag: 'fact', source: { path: 'a.ts', startLine: 1, endLine: 2 } } } });
    assert.equal(nestingTooDeep(real), false);
  });
});

describe('server/frameGuard: topLevelRequestId', () => {
  it('reads the requestId of the outer object without parsing the frame, and nothing else', () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    assert.equal(topLevelRequestId(`{"type":"append","requestId":"r1","incidentId":"INC-1","event":{"data":${deep(100)}}}`), 'r1');
    assert.equal(topLevelRequestId(`{"event":{"data":${deep(100)}},"requestId":"after-the-deep-part"}`), 'after-the-deep-part');
    assert.equal(topLevelRequestId(`{ "requestId" : "spaced" ,"x":${deep(40)}}`), 'spaced');
    assert.equal(topLevelRequestId(String.raw`{"requestId":"a\"b\u0041"}`), 'a"bA');
    assert.equal(topLevelRequestId(`{"event":{"requestId":"nested"},"x":${deep(40)}}`), undefined, 'only the top level');
    assert.equal(topLevelRequestId(`{"text":"\\"requestId\\":\\"in-a-string\\"","x":${deep(40)}}`), undefined);
    assert.equal(topLevelRequestId(`["requestId","x",${deep(40)}]`), undefined);
    assert.equal(topLevelRequestId(`{"requestId":"${'x'.repeat(65)}"}`), undefined, 'too long to echo');
    assert.equal(topLevelRequestId('{"requestId":""}'), undefined);
    assert.equal(topLevelRequestId('{"requestId":7}'), undefined);
    assert.equal(topLevelRequestId('{"requestId":"unterminated'), undefined);
  });
});
