import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { incidentNumber, StoreError, StoreLockedError } from '../../../src/store/eventStore';
import { FileStore } from '../../../src/store/fileStore';
import { decodeAt, type DecodeResult, encodeBatch, encodedLength, encodeKind, HEADER_BYTES, MAX_RECORD_BYTES, readUuid, UnknownKindError, writeUuid } from '../../../src/store/recordCodec';
import { removeTempDirs, tempDir } from '../server/helpers';

// Promises of the log record format and of eventStore.ts's helpers that recordCodec.test.ts and the store tests do
// not pin down: the limits on both sides, what a damaged or torn record is taken for, and each record's own channel.

const note = (channel: string, json = `{"kind":"note.added","data":{"text":"${channel}"}}`, id: string = randomUUID()) =>
  ({ channel, incidentNumber: 3, seq: 2, id, kind: 'note.added', json });

/** Recompute a record's CRC after changing a covered byte: what a buggy writer (not bit rot) would leave. */
function reseal(buf: Buffer, total: number): Buffer {
  buf.writeUInt32LE(crc32(buf.subarray(12, total)), 8);
  return buf;
}

function failure(d: DecodeResult): { reason: string; detail: string } {
  assert.equal(d.ok, false, 'taken for a good record');
  return { reason: d.reason, detail: d.detail };
}

/** Decode every record of a batch in order, as recovery scans a log, and return the channel each one names. */
function channelsRead(records: ReturnType<typeof note>[]): string[] {
  const { buf, offsets } = encodeBatch(records);
  return offsets.map((at) => {
    const d = decodeAt(buf, at, buf.length - at);
    assert.ok(d.ok, `record at ${at} decodes`);
    return d.header.channel;
  });
}

describe('store/recordCodec promises', () => {
  after(removeTempDirs);

  describe('the record length limit', () => {
    const jsonOf = (bytes: number) => `"${'x'.repeat(bytes - 2)}"`;

    it('writes and reads back a record of exactly MAX_RECORD_BYTES, byte for byte', () => {
      const r = note('payments-oncall', jsonOf(MAX_RECORD_BYTES - HEADER_BYTES - 'payments-oncall'.length));
      assert.equal(encodedLength(r), MAX_RECORD_BYTES);
      const { buf, lengths } = encodeBatch([r]);
      assert.deepEqual([buf.length, lengths], [MAX_RECORD_BYTES, [MAX_RECORD_BYTES]]);
      const d = decodeAt(buf, 0, buf.length);
      assert.ok(d.ok, 'a record at the limit is a good record');
      assert.equal(d.header.total, MAX_RECORD_BYTES);
      assert.equal(buf.toString('utf8', d.header.payloadStart, d.header.total), r.json);
    });

    it('refuses to write a record one byte over the limit, saying how big it is and what the limit is', () => {
      const r = note('payments-oncall', jsonOf(MAX_RECORD_BYTES + 1 - HEADER_BYTES - 'payments-oncall'.length));
      assert.throws(() => encodeBatch([r]), (e: unknown) =>
        e instanceof RangeError && e.message.includes(String(MAX_RECORD_BYTES + 1)) && e.message.includes(String(MAX_RECORD_BYTES)));
    });

    it('takes a length field above the limit for damage, not for a torn tail, even when fewer bytes follow it', () => {
      const { buf } = encodeBatch([note('c')]);
      for (const claimed of [MAX_RECORD_BYTES + 1, 0xffffffff]) {
        const copy = Buffer.from(buf);
        copy.writeUInt32LE(claimed, 4);
        const f = failure(decodeAt(copy, 0, copy.length));
        assert.equal(f.reason, 'bad', `length ${claimed}`);
        assert.ok(f.detail.includes(String(claimed)), `the detail names the length: ${f.detail}`);
      }
    });

    it('takes a record of exactly the limit that is cut short for a torn tail, not for damage', () => {
      const { buf } = encodeBatch([note('c')]);
      buf.writeUInt32LE(MAX_RECORD_BYTES, 4);
      assert.equal(failure(decodeAt(buf, 0, buf.length)).reason, 'short');
    });

    it('never takes a header-only record (no channel, no payload) for a good one, even with a valid CRC', () => {
      // Built by hand from a 49-byte record: the smallest record the decoder accepts has one byte after the header.
      const { buf } = encodeBatch([note('', '1')]);
      assert.equal(buf.length, HEADER_BYTES + 1);
      assert.ok(decodeAt(buf, 0, buf.length).ok, 'one payload byte is enough');
      const headerOnly = Buffer.from(buf.subarray(0, HEADER_BYTES));
      headerOnly.writeUInt32LE(HEADER_BYTES, 4);
      reseal(headerOnly, HEADER_BYTES);
      const f = failure(decodeAt(headerOnly, 0, headerOnly.length));
      assert.equal(f.reason, 'bad');
      assert.ok(f.detail.includes(String(HEADER_BYTES)), f.detail);
    });

    // A record with nothing after its header is one the reader calls "implausible record length 48": written, it would
    // be quarantined as damage at the next open. Unreachable through the store (a channel name has a character, an
    // event's JSON is never empty), refused by the codec all the same.
    it('never writes a record it would later take for damage (an empty channel with an empty payload)', () => {
      assert.throws(() => encodeBatch([note('', '')]), (e: Error) => e instanceof RangeError && /needs a channel name or a payload/.test(e.message));
      const smallest = encodeBatch([note('', 'x')]).buf;
      assert.ok(decodeAt(smallest, 0, smallest.length).ok, 'one byte after the header reads back');
    });
  });

  describe('torn and damaged records', () => {
    it('reports a tail of fewer than 8 bytes as torn (short), without reading past the end of the buffer', () => {
      const { buf } = encodeBatch([note('payments-oncall')]);
      for (let n = 0; n < 8; n++) {
        const tail = Buffer.from(buf.subarray(0, n));
        const f = failure(decodeAt(tail, 0, n));
        assert.equal(f.reason, 'short', `${n} bytes`);
        assert.notEqual(f.detail, '');
      }
    });

    it('needs only the first 8 bytes to tell a damaged length field (bad) from a torn record (short)', () => {
      const { buf } = encodeBatch([note('payments-oncall')]);
      assert.equal(failure(decodeAt(buf, 0, 8)).reason, 'short', 'a plausible length with its bytes missing');
      const damaged = Buffer.from(buf.subarray(0, 8));
      damaged.writeUInt32LE(0, 4);
      assert.equal(failure(decodeAt(damaged, 0, 8)).reason, 'bad', 'length 0');
      damaged.writeUInt32LE(0xffffffff, 4);
      assert.equal(failure(decodeAt(damaged, 0, 8)).reason, 'bad', 'length 2^32-1');
    });

    it('never takes a record whose channel length overruns it for a good one, even with a valid CRC', () => {
      const { buf } = encodeBatch([note('c', '{}')]);
      const total = buf.length;
      assert.equal(total, HEADER_BYTES + 1 + 2);
      for (const channelLen of [4, 255]) {
        const copy = Buffer.from(buf);
        copy.writeUInt8(channelLen, 13);
        const f = failure(decodeAt(reseal(copy, total), 0, total));
        assert.equal(f.reason, 'bad', `channel length ${channelLen}`);
      }
    });

    it('reads back a record whose channel name reaches exactly its end (an empty payload)', () => {
      const { buf } = encodeBatch([note('payments-oncall', '')]);
      const d = decodeAt(buf, 0, buf.length);
      assert.ok(d.ok, 'a channel that ends where the record ends is no overrun');
      assert.deepEqual([d.header.channel, d.header.payloadStart, d.header.total], ['payments-oncall', buf.length, buf.length]);
    });

    it('says what was wrong, differently for each way a record can fail, with the lengths involved', () => {
      const { buf } = encodeBatch([note('c', '{}')]);
      const total = buf.length;
      const lengthField = (n: number) => { const b = Buffer.from(buf); b.writeUInt32LE(n, 4); return b; };
      const crcFlipped = Buffer.from(buf);
      crcFlipped[20] = crcFlipped[20]! ^ 0x01;
      const overrun = Buffer.from(buf);
      overrun.writeUInt8(9, 13);
      const cases = {
        headerCut: decodeAt(buf, 0, 5),
        noMarker: decodeAt(Buffer.alloc(total), 0, total),
        implausible: decodeAt(lengthField(MAX_RECORD_BYTES + 7), 0, total),
        cutShort: decodeAt(buf, 0, total - 3),
        checksum: decodeAt(crcFlipped, 0, total),
        overrun: decodeAt(reseal(overrun, total), 0, total),
      };
      const details = Object.entries(cases).map(([name, d]) => {
        const { detail } = failure(d);
        assert.ok(detail.trim().length > 0, `${name}: no detail`);
        return detail;
      });
      assert.equal(new Set(details).size, details.length, `every failure has its own detail: ${details.join(' | ')}`);
      assert.ok(details[2]!.includes(String(MAX_RECORD_BYTES + 7)), details[2]);
      assert.ok(details[3]!.includes(String(total)) && details[3]!.includes(String(total - 3)), details[3]);
    });
  });

  describe('the channel name of each record', () => {
    it('is the record\'s own even when it is a prefix of the channel decoded just before', () => {
      assert.deepEqual(
        channelsRead([note('payments-oncall'), note('payments'), note('payments-oncall'), note('pay'), note('p')]),
        ['payments-oncall', 'payments', 'payments-oncall', 'pay', 'p'],
      );
    });

    it('is the record\'s own when the channel before had the same length but not one byte in common', () => {
      assert.deepEqual(channelsRead([note('api'), note('web'), note('api'), note('api')]), ['api', 'web', 'api', 'api']);
    });

    it('is read from the channel bytes alone, even when the id bytes just before it spell the previous channel', () => {
      // The id's last two bytes are 'i' 'p': the previous channel "api" read backwards from the new channel's 'a'.
      const id = '00000000-0000-0000-0000-000000006970';
      assert.deepEqual(channelsRead([note('api'), note('ack', undefined, id)]), ['api', 'ack']);
    });

    it('round-trips names of any length the header holds (up to 255 bytes) among short ones', () => {
      const long = 'x'.repeat(100);
      const longest = 'y'.repeat(255);
      const names = ['web', long, 'web', long, 'w', longest, 'y', 'x'.repeat(64), 'x'.repeat(65), 'x'.repeat(64)];
      assert.deepEqual(channelsRead(names.map((n) => note(n))), names);
    });

    it('is stored one byte per character, so a non-ASCII (Latin-1) name never spills into the payload', () => {
      const r = note('café-ops', '{"text":"ünïcödé ☃"}');
      const { buf } = encodeBatch([r]);
      assert.equal(buf.length, encodedLength(r));
      const d = decodeAt(buf, 0, buf.length);
      assert.ok(d.ok);
      assert.equal(d.header.channel, 'café-ops');
      assert.equal(buf.toString('utf8', d.header.payloadStart, d.header.total), r.json, 'the payload byte for byte');
    });
  });

  describe('ids and typed errors', () => {
    it('refuses to write an id that is not a UUID, naming it, rather than store half of it', () => {
      const notUuid = 'note-7f3a'; // as a client might send it
      const buf = Buffer.alloc(16);
      assert.throws(() => writeUuid(buf, 0, notUuid), (e: unknown) => e instanceof Error && e.message.includes(notUuid));
      assert.throws(() => encodeBatch([note('c', '{}', notUuid)]), (e: unknown) => e instanceof Error && e.message.includes(notUuid));
      const id = randomUUID();
      writeUuid(buf, 0, id);
      assert.equal(readUuid(buf, 0), id);
    });

    it('names its error class in logs: UnknownKindError, StoreError', () => {
      const unknown = (() => { try { encodeKind('incident.archived'); } catch (e) { return e; } return null; })();
      assert.ok(unknown instanceof UnknownKindError);
      assert.match(String(unknown), /^UnknownKindError: /);
      const err = new StoreError('store_failed', 'the disk went away');
      assert.equal(String(err), 'StoreError: the disk went away');
      assert.equal(err.code, 'store_failed');
    });
  });
});

describe('store/eventStore helpers', () => {
  after(removeTempDirs);

  describe('incidentNumber', () => {
    it('reads n from INC-n for every number up to ten digits', () => {
      for (const n of [1, 7, 10, 42, 100, 9_999_999_999]) assert.equal(incidentNumber(`INC-${n}`), n, `INC-${n}`);
    });

    it('gives 0 for anything that is not exactly an incident id', () => {
      const notIds = ['', 'INC-', 'INC-0', 'INC-07', 'inc-7', 'xINC-7', ' INC-7', 'INC-7 ', 'INC-7\n', 'INC-7x', 'INC-7/events', 'c/INC-7', 'INC-12345678901', 'INC-1e3'];
      for (const id of notIds) assert.equal(incidentNumber(id), 0, JSON.stringify(id));
    });
  });

  describe('StoreLockedError', () => {
    it('names the store directory (not its LOCK file) and the live process holding it', async () => {
      // A directory whose own name starts with "LOCK": only the trailing LOCK file name is dropped.
      const dir = path.join(tempDir('LOCKED-'), 'LOCK-store');
      const first = new FileStore({ dir });
      await first.open();
      try {
        const err = await new FileStore({ dir }).open().then(() => null, (e: unknown) => e);
        assert.ok(err instanceof StoreLockedError, String(err));
        assert.ok(err instanceof StoreError);
        assert.equal(err.name, 'StoreLockedError');
        assert.ok(err.message.startsWith(`the store ${dir} is in use by process ${process.pid} on ${hostname()} (since `), err.message);
      } finally {
        await first.close();
      }
    });

    it('says "another process" when the LOCK file cannot be read as a lock', async () => {
      const dir = tempDir('ir-store-');
      writeFileSync(path.join(dir, 'LOCK'), '{"pid":'); // half-written by another opener
      const err = await new FileStore({ dir }).open().then(() => null, (e: unknown) => e);
      assert.ok(err instanceof StoreLockedError, String(err));
      assert.equal(err.holder, null);
      assert.equal(err.message, `the store ${dir} is in use by another process`);
    });

    it('drops a Windows LOCK file name too', () => {
      const err = new StoreLockedError('C:\\incidents\\LOCKS\\store\\LOCK', null);
      assert.equal(err.message, 'the store C:\\incidents\\LOCKS\\store is in use by another process');
    });
  });
});
