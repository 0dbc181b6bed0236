import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { EVENT_KINDS } from '../../../src/protocol/events';
import { decodeAt, encodeBatch, encodeKind, kindCode, kindOfCode, readUuid, UnknownKindError } from '../../../src/store/recordCodec';

describe('store/recordCodec', () => {
  const record = (seq: number, json = `{"seq":${seq},"text":"héllo ☃"}`) =>
    ({ channel: 'payments-oncall', incidentNumber: 7, seq, id: randomUUID(), kind: 'note.added', json });

  it('round-trips a batch: channel, incident, seq, kind, id and the UTF-8 payload', () => {
    const records = [record(1), record(2), record(3, '{"x":"' + 'a'.repeat(70_000) + '"}')];
    const { buf, offsets, lengths } = encodeBatch(records);
    assert.equal(offsets.length, 3);
    records.forEach((r, i) => {
      const d = decodeAt(buf, offsets[i]!, buf.length - offsets[i]!);
      assert.ok(d.ok);
      assert.equal(d.header.total, lengths[i]);
      assert.deepEqual([d.header.channel, d.header.incidentNumber, d.header.seq, kindOfCode(d.header.kindCode)], ['payments-oncall', 7, r.seq, 'note.added']);
      assert.equal(readUuid(buf, d.header.idOffset), r.id);
      assert.equal(buf.toString('utf8', d.header.payloadStart, offsets[i]! + d.header.total), r.json);
    });
  });

  it('stores upper-case UUIDs in binary and reads them back lower-case (ids compare case-insensitively)', () => {
    const r = { ...record(1), id: '6BA7B810-9DAD-11D1-80B4-00C04FD430C8' };
    const { buf } = encodeBatch([r]);
    const d = decodeAt(buf, 0, buf.length);
    assert.ok(d.ok);
    assert.equal(readUuid(buf, d.header.idOffset), '6ba7b810-9dad-11d1-80b4-00c04fd430c8');
  });

  it('detects any flipped bit after the length field, and a record cut short', () => {
    const { buf } = encodeBatch([record(1)]);
    for (let i = 12; i < buf.length; i += 7) {
      const copy = Buffer.from(buf);
      copy[i] = copy[i]! ^ 0x10;
      const d = decodeAt(copy, 0, copy.length);
      assert.ok(!d.ok && d.reason === 'bad', `flip at ${i} undetected`);
    }
    const short = decodeAt(buf, 0, buf.length - 1);
    assert.ok(!short.ok && short.reason === 'short');
    const zeros = decodeAt(Buffer.alloc(100), 0, 100);
    assert.ok(!zeros.ok && zeros.reason === 'bad');
  });

  it('has a fixed code for every v1 kind and 0 for kinds it does not know', () => {
    assert.equal(kindCode('incident.declared'), 1);
    assert.equal(kindCode('action.updated'), 13);
    assert.equal(kindCode('something.new'), 0);
  });

  it('gives every event kind its own code that reads back as that kind', () => {
    const codes = EVENT_KINDS.map((k) => encodeKind(k));
    assert.equal(new Set(codes).size, EVENT_KINDS.length);
    for (const k of EVENT_KINDS) assert.equal(kindOfCode(encodeKind(k)), k);
    assert.equal(kindOfCode(0), undefined);
  });

  it('refuses to encode a record of a kind it does not know, naming the kind, instead of writing code 0', () => {
    // As it would arrive from a newer client whose kind slipped past validation: parsed from JSON.
    const { kind } = JSON.parse('{"kind":"incident.archived"}') as { kind: string };
    assert.throws(() => encodeKind(kind), (e: unknown) => e instanceof UnknownKindError && e.kind === 'incident.archived' && /unknown event kind "incident\.archived"/.test(e.message));
    assert.throws(() => encodeBatch([record(1), { ...record(2), kind }]), UnknownKindError);
    // An inherited property name is no kind either.
    assert.throws(() => encodeKind('toString'), UnknownKindError);
  });
});
