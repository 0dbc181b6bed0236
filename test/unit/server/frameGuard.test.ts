import assert from 'node:assert/strict';
import { MAX_NESTING, nestingTooDeep } from '../../../src/server/frameGuard';

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
