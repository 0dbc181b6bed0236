import assert from 'node:assert/strict';
import { z } from 'zod';
import { describeZodError } from '../../../src/protocol/zodMessage';

function errorOf(schema: z.ZodType, value: unknown): string {
  const r = schema.safeParse(value);
  assert.ok(!r.success, 'expected the value to be refused');
  return describeZodError(r.error);
}

describe('protocol/zodMessage', () => {
  it('writes nested paths with dots and array indexes', () => {
    const schema = z.object({ a: z.object({ list: z.array(z.object({ n: z.number() })) }) });
    assert.equal(errorOf(schema, { a: { list: [{ n: 1 }, { n: 'x' }] } }), 'a.list[1].n: expected number, got string');
  });

  it('has no path prefix for a top-level refusal', () => {
    assert.equal(errorOf(z.string().min(1), ''), 'must not be empty');
  });

  it('describes bounds of strings, arrays and numbers', () => {
    assert.equal(errorOf(z.object({ s: z.string().max(3) }), { s: 'abcd' }), 's: must be at most 3 characters');
    assert.equal(errorOf(z.object({ s: z.string().min(3) }), { s: 'ab' }), 's: must be at least 3 characters');
    assert.equal(errorOf(z.object({ xs: z.array(z.number()).max(1) }), { xs: [1, 2] }), 'xs: must have at most 1 items');
    assert.equal(errorOf(z.object({ n: z.number().max(9) }), { n: 10 }), 'n: must be at most 9');
  });

  it('reports the deepest branch of a discriminated union that matched its discriminator', () => {
    const schema = z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('a'), data: z.object({ x: z.string() }) }),
      z.object({ kind: z.literal('b'), data: z.object({ y: z.number() }) }),
    ]);
    assert.equal(errorOf(z.object({ event: schema }), { event: { kind: 'b', data: { y: 'no' } } }), 'event.data.y: expected number, got string');
    assert.equal(errorOf(z.object({ event: schema }), { event: { kind: 'c' } }), 'event.kind: expected a|b');
  });

  it('uses the regex message of the schema, and names formats in words', () => {
    assert.equal(errorOf(z.object({ sha: z.string().regex(/^[0-9a-f]+$/, 'expected a hex commit id') }), { sha: 'g' }), 'sha: expected a hex commit id');
    assert.equal(errorOf(z.object({ id: z.uuid() }), { id: 'x' }), 'id: expected a UUID');
    assert.equal(errorOf(z.object({ d: z.iso.date() }), { d: 'x' }), 'd: expected a date like 2026-11-30');
  });
});
