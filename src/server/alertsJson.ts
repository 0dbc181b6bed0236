import { isUtf8 } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { nextSlice, SLICE_MS } from './slices';

/**
 * A webhook body's top-level `alerts` array, taken apart without decoding or parsing the whole body: the envelope
 * (the body with `[]` in the array's place) and each element, decoded only when asked for. A 5,000-alert body (about
 * 3.5 MB) then parses element by element between turns of the event loop, where decoding it to one string and one
 * `JSON.parse` of it held the loop for tens of milliseconds.
 *
 * The body stays as the chunks it arrived in (joining 3.5 MB into one buffer or string cost 10 to 40 ms on the bench
 * machine); the scan works on bytes, which is exact for JSON in UTF-8: every byte that means structure (quotes,
 * brackets, commas, colons, backslashes) is ASCII and is never part of a longer character.
 *
 * Exact: every byte of the body is in the envelope, in one element, or is one of the array's brackets and commas, so
 * when the envelope and every element decode and parse, the body is valid UTF-8 and valid JSON and means the same.
 * Null when the body is not shaped so (no top-level `alerts` array, two of them, an unterminated string): then the
 * whole body is decoded and `JSON.parse` takes it, and its answer (or its error) is the one given.
 */
export interface SplitAlerts {
  /** The body with `[]` for the array, or null when those bytes are not valid UTF-8. */
  readonly envelope: string | null;
  /** How many elements the array has. */
  readonly count: number;
  /** Element `i`'s text, or null when its bytes are not valid UTF-8. */
  element(i: number): string | null;
}

/** A request body: the chunks it arrived in (a string is taken as its UTF-8 bytes). */
export type BodyBytes = string | Uint8Array | readonly Uint8Array[];

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const KEY = Buffer.from('alerts');
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Bytes scanned between two looks at the clock: a turn of the event loop scans for `SLICE_MS` (about 0.5 MB). */
const BYTES_PER_CHECK = 8 * 1024;

/** Whether a key's JSON text (with its quotes; null: not UTF-8) means `alerts`, or may: it is not valid JSON. */
function isAlertsKey(json: string | null): boolean {
  try {
    return json === null || JSON.parse(json) === 'alerts';
  } catch {
    return true;
  }
}

/** JSON's whitespace: space, tab, line feed, carriage return. */
function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The chunks of a body, addressed by offset in the whole body. */
export class Bytes {
  readonly chunks: readonly Buffer[];
  readonly length: number;
  /** Where each chunk starts in the body. */
  private readonly starts: number[] = [];

  constructor(body: BodyBytes) {
    const list = typeof body === 'string' ? [Buffer.from(body, 'utf8')] : body instanceof Uint8Array ? [body] : body;
    const chunks = list.map((c) => Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength)).filter((c) => c.length > 0);
    // A byte order mark is dropped, as decoding with TextDecoder does (RFC 8259: a parser may ignore one), however the
    // first chunks cut it (a chunked request may bring it a byte at a time).
    if (Buffer.concat(chunks.slice(0, 3).map((c) => c.subarray(0, 3))).subarray(0, 3).equals(BOM)) {
      for (let drop = 3; drop > 0;) {
        const n = Math.min(drop, chunks[0]!.length);
        chunks[0] = chunks[0]!.subarray(n);
        drop -= n;
        if (chunks[0]!.length === 0) chunks.shift();
      }
    }
    this.chunks = chunks;
    let at = 0;
    for (const c of this.chunks) {
      this.starts.push(at);
      at += c.length;
    }
    this.length = at;
  }

  /** The bytes [start, end) as one buffer: a view when they lie in one chunk, a copy when they span several. */
  slice(start: number, end: number): Buffer {
    if (start >= end) return Buffer.alloc(0);
    const first = this.chunkAt(start);
    const c = this.chunks[first]!;
    const base = this.starts[first]!;
    if (end - base <= c.length) return c.subarray(start - base, end - base);
    const parts: Buffer[] = [];
    for (let i = first; i < this.chunks.length && this.starts[i]! < end; i++) {
      const from = Math.max(start - this.starts[i]!, 0);
      const to = Math.min(end - this.starts[i]!, this.chunks[i]!.length);
      parts.push(this.chunks[i]!.subarray(from, to));
    }
    return Buffer.concat(parts, end - start);
  }

  /** The bytes [start, end) as text, or null when they are not valid UTF-8. */
  text(start: number, end: number): string | null {
    const bytes = this.slice(start, end);
    return isUtf8(bytes) ? bytes.toString('utf8') : null;
  }

  /** The index of the chunk holding byte `at` (the last chunk for the end of the body). */
  private chunkAt(at: number): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** See `SplitAlerts`. Scans for `SLICE_MS` per turn of the event loop. */
export async function splitAlerts(body: BodyBytes | Bytes): Promise<SplitAlerts | null> {
  const bytes = body instanceof Bytes ? body : new Bytes(body);
  let depth = 0;
  let seen = 0;
  let turnStart = performance.now();
  // Inside a string: whether the last byte was an unescaped backslash; the key being read (depth 1) matches `alerts`
  // so far, and how many of its bytes were read.
  let inString = false;
  let escaped = false;
  let readingKey = false;
  let keyMatches = false;
  let keyEscaped = false;
  let keyStart = -1;
  let keyLength = 0;
  let sawAlertsKey = false;
  // At depth 1 (the top-level object): the next string is a key; the last key read was `alerts`; its value comes next.
  let expectKey = false;
  let keyIsAlerts = false;
  let valueNext = false;
  let started = false;
  let ended = false;
  let arrayStart = -1;
  let arrayEnd = -1;
  let inAlerts = false;
  let elementStart = -1;
  let elementHasText = false;
  const starts: number[] = [];
  const ends: number[] = [];
  let at = 0;
  for (const chunk of bytes.chunks) {
    // The next quote and backslash in this chunk at or after j (-1: none), found natively: most of a body is the
    // inside of strings, skipped in one step each.
    let nextQuote = -2;
    let nextBackslash = -2;
    for (let j = 0; j < chunk.length; j++, at++) {
      if (inString && !escaped && !readingKey) {
        if (nextQuote !== -1 && nextQuote < j) nextQuote = chunk.indexOf(QUOTE, j);
        if (nextBackslash !== -1 && nextBackslash < j) nextBackslash = chunk.indexOf(BACKSLASH, j);
        const stop = nextQuote < 0 ? (nextBackslash < 0 ? chunk.length : nextBackslash) : nextBackslash < 0 ? nextQuote : Math.min(nextQuote, nextBackslash);
        seen += stop - j;
        at += stop - j;
        j = stop;
        if (j === chunk.length) break;
      }
      if (++seen >= BYTES_PER_CHECK) {
        seen = 0;
        if (performance.now() - turnStart >= SLICE_MS) {
          await nextSlice();
          turnStart = performance.now();
        }
      }
      const c = chunk[j]!;
      if (inString) {
        if (escaped) {
          escaped = false;
          if (readingKey) keyMatches = false;
        } else if (c === BACKSLASH) {
          escaped = true;
          if (readingKey) keyEscaped = true;
        } else if (c === QUOTE) {
          inString = false;
          if (readingKey) {
            readingKey = false;
            keyIsAlerts = keyMatches && !keyEscaped && keyLength === KEY.length;
            // A second `alerts`, or one spelled with an escape (`\u0061lerts`): which one JSON.parse keeps (the last)
            // is for it to say, so the body is left whole.
            if (keyEscaped && isAlertsKey(bytes.text(keyStart, at + 1))) return null;
            if (keyIsAlerts && sawAlertsKey) return null;
            sawAlertsKey ||= keyIsAlerts;
          }
        } else if (readingKey) {
          keyMatches = keyMatches && keyLength < KEY.length && KEY[keyLength] === c;
          keyLength++;
        }
        continue;
      }
      if (ended) {
        if (!isSpace(c)) return null;
        continue;
      }
      // Inside the array, anything but space, its commas and its closing bracket is an element's text.
      if (inAlerts && !isSpace(c) && !(depth === 2 && (c === COMMA || c === CLOSE_ARRAY))) elementHasText = true;
      if (c === QUOTE) {
        if (depth === 0) return null;
        inString = true;
        if (depth === 1 && expectKey) {
          expectKey = false;
          readingKey = true;
          keyMatches = true;
          keyEscaped = false;
          keyStart = at;
          keyLength = 0;
        }
        continue;
      }
      if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (depth === 0) {
          if (started || c !== OPEN_OBJECT) return null;
          started = true;
        }
        if (depth === 1 && valueNext && keyIsAlerts && c === OPEN_ARRAY) {
          if (arrayStart >= 0) return null; // a second `alerts`: JSON.parse decides which one counts
          arrayStart = at;
          inAlerts = true;
          elementStart = at + 1;
          elementHasText = false;
        }
        valueNext = false;
        depth++;
        if (depth === 1) expectKey = true;
        continue;
      }
      if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        depth--;
        if (depth < 0) return null;
        if (inAlerts && depth === 1) {
          if (c !== CLOSE_ARRAY) return null;
          // `[]` has no element; `[1,]` has an empty last one, which fails to parse as it should.
          if (starts.length > 0 || elementHasText) {
            starts.push(elementStart);
            ends.push(at);
          }
          arrayEnd = at;
          inAlerts = false;
        }
        if (depth === 0) ended = true;
        continue;
      }
      if (depth === 0) {
        if (!isSpace(c)) return null;
      } else if (depth === 1) {
        if (c === COLON) valueNext = true;
        else if (c === COMMA) {
          expectKey = true;
          valueNext = false;
          keyIsAlerts = false;
        } else if (!isSpace(c)) valueNext = false;
      } else if (inAlerts && depth === 2 && c === COMMA) {
        starts.push(elementStart);
        ends.push(at);
        elementStart = at + 1;
        elementHasText = false;
      }
    }
  }
  if (!ended || inString || arrayStart < 0 || arrayEnd < 0) return null;
  const head = bytes.text(0, arrayStart);
  const tail = bytes.text(arrayEnd + 1, bytes.length);
  return {
    envelope: head === null || tail === null ? null : `${head}[]${tail}`,
    count: starts.length,
    element: (i) => bytes.text(starts[i]!, ends[i]!),
  };
}
