import { crc32 } from 'node:zlib';
import type { EventKind } from '../protocol/events';

/*
 * One log record (little-endian):
 *
 *   0  u32  magic 'IRE1'
 *   4  u32  total length of the record (header + channel + payload)
 *   8  u32  CRC-32 of bytes [12, total)
 *  12  u8   kind code (KIND_CODES; a code this build does not know: read the kind from the payload)
 *  13  u8   channel name length
 *  14  u16  0
 *  16  f64  incident number (INC-n)
 *  24  f64  seq
 *  32  16B  event id (UUID, binary)
 *  48  ...  channel name (ASCII), then the SequencedEvent JSON (UTF-8)
 *
 * The header carries everything recovery needs to rebuild the indexes, so a restart parses no JSON except for the
 * few kinds that change an incident's summary.
 *
 * A signal record (kind code SIGNAL_RECORD.code) is not an event: its payload is one `Signal`'s JSON, its incident
 * number and seq are 0 and its id is all zeros. A build from before signals indexes only records of an incident ≥ 1,
 * so it passes over them; recovery keeps the last one of each fingerprint.
 */
export const RECORD_MAGIC = 0x31455249; // 'IRE1' read as little-endian u32
export const HEADER_BYTES = 48;
/** Far above what a 256 KiB frame can produce: anything longer is a damaged length field. */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024;

/** Fixed on disk: never renumber, only add. A new event kind does not compile until it has a code here. */
const KIND_CODES = {
  'incident.declared': 1, 'incident.updated': 2, 'severity.changed': 3, 'status.changed': 4, 'role.assigned': 5, 'note.added': 6,
  'note.retagged': 7, 'deploy.flagged': 8, 'mitigation.started': 9, 'mitigation.finished': 10, 'update.posted': 11, 'action.added': 12,
  'action.updated': 13, 'triage.recorded': 14, 'signal.linked': 15, 'signal.resolved': 16, 'escalation.requested': 17,
  'mitigation.assessed': 18, 'workstream.opened': 19, 'workstream.updated': 20, 'resolution.checked': 21, 'terminal.command': 22,
} as const satisfies Record<EventKind, number>;
const KIND_BY_CODE = new Map<number, EventKind>(Object.entries(KIND_CODES).map(([k, c]) => [c, k as EventKind]));

const hasCode = (kind: string): kind is EventKind => Object.hasOwn(KIND_CODES, kind);

/** The one record kind that is not an event: a channel's signal (its code is far from the event kinds' range). */
export const SIGNAL_RECORD = { kind: 'signal', code: 255, id: '00000000-0000-0000-0000-000000000000' } as const;

/** The code of a kind, or 0 for a kind this build does not know (the header's "read the kind from the payload"). */
export const kindCode = (kind: string): number => (hasCode(kind) ? KIND_CODES[kind] : 0);
/** The kind of a code, or undefined for 0 or a code a newer build wrote (the payload names the kind). */
export const kindOfCode = (code: number): EventKind | undefined => KIND_BY_CODE.get(code);

/** An event kind this build cannot write: a bug upstream (the protocol schema admits only known kinds), never a record. */
export class UnknownKindError extends Error {
  constructor(readonly kind: string) {
    super(`cannot encode a record of unknown event kind "${kind}"`);
    this.name = 'UnknownKindError';
  }
}

/** The code written for a kind; throws `UnknownKindError` rather than write a record whose kind is lost. */
export function encodeKind(kind: string): number {
  if (kind === SIGNAL_RECORD.kind) return SIGNAL_RECORD.code;
  if (!hasCode(kind)) throw new UnknownKindError(kind);
  return KIND_CODES[kind];
}

/** The fields of a record header. */
export interface RecordHeader {
  readonly total: number;
  readonly kindCode: number;
  readonly channel: string;
  readonly incidentNumber: number;
  readonly seq: number;
  /** Offset of the id's 16 bytes within the buffer it was decoded from. */
  readonly idOffset: number;
  readonly payloadStart: number;
}

export interface EncodableRecord {
  readonly channel: string;
  readonly incidentNumber: number;
  readonly seq: number;
  readonly id: string;
  /** An event kind, or `SIGNAL_RECORD.kind`; anything else is refused with `UnknownKindError`. */
  readonly kind: string;
  readonly json: string;
}

/** Bytes `encodeInto` needs for a record. */
export const encodedLength = (r: EncodableRecord): number => HEADER_BYTES + r.channel.length + Buffer.byteLength(r.json);

/** Write one record at `at` in `buf` (which has `encodedLength(r)` bytes free there); returns the end offset. */
export function encodeInto(buf: Buffer, at: number, r: EncodableRecord): number {
  const code = encodeKind(r.kind);
  const channelLen = r.channel.length;
  const payloadStart = at + HEADER_BYTES + channelLen;
  const end = payloadStart + buf.write(r.json, payloadStart, 'utf8');
  const total = end - at;
  // Recovery takes a longer record for a damaged length field: never write one.
  if (total > MAX_RECORD_BYTES) throw new RangeError(`a record of ${total} bytes is over the ${MAX_RECORD_BYTES}-byte limit`);
  // …and one with nothing after its header (no channel, no payload): never written either.
  if (total <= HEADER_BYTES) throw new RangeError('a record needs a channel name or a payload after its header');
  buf.writeUInt32LE(RECORD_MAGIC, at);
  buf.writeUInt32LE(total, at + 4);
  buf.writeUInt8(code, at + 12);
  buf.writeUInt8(channelLen, at + 13);
  buf.writeUInt16LE(0, at + 14);
  buf.writeDoubleLE(r.incidentNumber, at + 16);
  buf.writeDoubleLE(r.seq, at + 24);
  writeUuid(buf, at + 32, r.id);
  buf.write(r.channel, at + HEADER_BYTES, 'latin1');
  buf.writeUInt32LE(crc32(buf.subarray(at + 12, end)), at + 8);
  return end;
}

/** Encode a batch into one buffer (one write syscall per group commit). Returns the buffer and each record's offset. */
export function encodeBatch(records: readonly EncodableRecord[]): { buf: Buffer; offsets: number[]; lengths: number[] } {
  let size = 0;
  for (const r of records) size += encodedLength(r);
  const buf = Buffer.allocUnsafe(size);
  const offsets: number[] = [];
  const lengths: number[] = [];
  let at = 0;
  for (const r of records) {
    const end = encodeInto(buf, at, r);
    offsets.push(at);
    lengths.push(end - at);
    at = end;
  }
  return { buf: at === size ? buf : buf.subarray(0, at), offsets, lengths };
}

export type DecodeResult =
  | { ok: true; header: RecordHeader }
  /** `short`: fewer than the record's bytes are available (possibly a torn tail); `bad`: not a valid record. */
  | { ok: false; reason: 'short' | 'bad'; detail: string };

/** Check and decode the record starting at `at` in `buf`; `available` is how many bytes from `at` are in `buf`. */
export function decodeAt(buf: Buffer, at: number, available: number): DecodeResult {
  if (available < 8) return { ok: false, reason: 'short', detail: 'record header cut short' };
  if (buf.readUInt32LE(at) !== RECORD_MAGIC) return { ok: false, reason: 'bad', detail: 'no record marker' };
  const total = buf.readUInt32LE(at + 4);
  if (total < HEADER_BYTES + 1 || total > MAX_RECORD_BYTES) return { ok: false, reason: 'bad', detail: `implausible record length ${total}` };
  if (available < total) return { ok: false, reason: 'short', detail: `record of ${total} bytes cut short at ${available}` };
  if (buf.readUInt32LE(at + 8) !== crc32(buf.subarray(at + 12, at + total))) return { ok: false, reason: 'bad', detail: 'checksum mismatch' };
  const channelLen = buf.readUInt8(at + 13);
  if (HEADER_BYTES + channelLen > total) return { ok: false, reason: 'bad', detail: 'channel name overruns the record' };
  return {
    ok: true,
    header: {
      total,
      kindCode: buf.readUInt8(at + 12),
      channel: channelName(buf, at + HEADER_BYTES, channelLen),
      incidentNumber: buf.readDoubleLE(at + 16),
      seq: buf.readDoubleLE(at + 24),
      idOffset: at + 32,
      payloadStart: at + HEADER_BYTES + channelLen,
    },
  };
}

// Recovery decodes the same few channel names a million times: keep the last one instead of a new string each time.
let lastChannel = '';
const lastChannelBytes = Buffer.alloc(64);
let lastChannelLen = -1;
function channelName(buf: Buffer, at: number, len: number): string {
  if (len === lastChannelLen && len <= 64) {
    let same = true;
    for (let i = 0; i < len; i++) {
      if (buf[at + i] !== lastChannelBytes[i]) {
        same = false;
        break;
      }
    }
    if (same) return lastChannel;
  }
  lastChannel = buf.toString('latin1', at, at + len);
  if (len <= 64) {
    buf.copy(lastChannelBytes, 0, at, at + len);
    lastChannelLen = len;
  } else {
    lastChannelLen = -1;
  }
  return lastChannel;
}

const HEX = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Write a UUID's 16 bytes. The protocol schema has already checked the shape; anything else is a bug. */
export function writeUuid(buf: Buffer, at: number, id: string): void {
  if (!HEX.test(id)) throw new Error(`not a UUID: ${id}`);
  buf.write(id.slice(0, 8) + id.slice(9, 13) + id.slice(14, 18) + id.slice(19, 23) + id.slice(24), at, 16, 'hex');
}

/** Read 16 bytes as a lower-case UUID string. */
export function readUuid(buf: Buffer, at: number): string {
  const h = buf.toString('hex', at, at + 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
