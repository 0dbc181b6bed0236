import * as fs from 'node:fs';
import { inflateRawSync } from 'node:zlib';

/** One file in a zip archive, as its central directory lists it. */
export interface ZipEntry {
  name: string;
  compressedSize: number;
  size: number;
  method: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/**
 * The entries of a zip file from its central directory (what `unzip -l` prints), without an unzip binary: a .vsix
 * is a plain zip (no zip64 at our sizes), so the end-of-central-directory record and the fixed-size headers suffice.
 */
export function zipEntries(buf: Buffer): ZipEntry[] {
  // The end record is the last 22 bytes plus a comment of at most 64 KiB.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file: no end-of-central-directory record');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== CENTRAL) throw new Error(`zip: bad central directory header at ${p}`);
    const nameLength = buf.readUInt16LE(p + 28);
    const extraLength = buf.readUInt16LE(p + 30);
    const commentLength = buf.readUInt16LE(p + 32);
    entries.push({
      method: buf.readUInt16LE(p + 10),
      compressedSize: buf.readUInt32LE(p + 20),
      size: buf.readUInt32LE(p + 24),
      localHeaderOffset: buf.readUInt32LE(p + 42),
      name: buf.toString('utf8', p + 46, p + 46 + nameLength),
    });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The content of one entry (stored or deflated). */
export function readZipEntry(buf: Buffer, entry: ZipEntry): Buffer {
  const h = entry.localHeaderOffset;
  if (buf.readUInt32LE(h) !== LOCAL) throw new Error(`zip: bad local header for ${entry.name}`);
  const start = h + 30 + buf.readUInt16LE(h + 26) + buf.readUInt16LE(h + 28);
  const data = buf.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return Buffer.from(data);
  if (entry.method === 8) return inflateRawSync(data);
  throw new Error(`zip: ${entry.name} uses compression method ${entry.method}`);
}

/** Entries of a zip file on disk. */
export function readZip(file: string): { buf: Buffer; entries: ZipEntry[] } {
  const buf = fs.readFileSync(file);
  return { buf, entries: zipEntries(buf) };
}
