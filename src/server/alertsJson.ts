import { nextSlice } from './slices';

/**
 * A webhook body's top-level `alerts` array, taken apart without parsing the whole body: the envelope (the body with
 * `[]` in the array's place) and each element's text. A 5,000-alert body (about 5 MB) then parses element by element
 * between turns of the event loop, where one `JSON.parse` of it holds the loop for tens of milliseconds.
 *
 * Exact: every byte of the body is in the envelope, in one element, or is one of the array's brackets and commas, so
 * when the envelope and every element parse, the body is valid JSON and means the same. Null when the body is not
 * shaped so (no top-level `alerts` array, two of them, an unterminated string): then `JSON.parse` takes the whole
 * body, and its answer (or its error) is the one given.
 */
export interface SplitAlerts {
  readonly envelope: string;
  readonly elements: readonly string[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** Characters scanned between two turns of the event loop (a 5 MB body is scanned in about 20 turns). */
const CHARS_PER_TURN = 256 * 1024;

/** See `SplitAlerts`. Scans a few hundred kB per turn of the event loop. */
export async function splitAlerts(text: string): Promise<SplitAlerts | null> {
  let depth = 0;
  let turnStart = 0;
  // At depth 1 (the top-level object): the next string is a key; the last key read; whether its value comes next.
  let expectKey = false;
  let key: string | null = null;
  let valueNext = false;
  let arrayStart = -1;
  let arrayEnd = -1;
  let inAlerts = false;
  let elementStart = -1;
  const elements: string[] = [];
  for (let i = 0; i < text.length; i++) {
    if (i - turnStart >= CHARS_PER_TURN) {
      await nextSlice();
      turnStart = i;
    }
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end < 0) return null;
      if (depth === 1 && expectKey) {
        key = text.slice(i + 1, end);
        expectKey = false;
      }
      i = end;
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (depth === 0 && (i > 0 && text.slice(0, i).trim() !== '' || c !== OPEN_OBJECT)) return null;
      if (depth === 1 && valueNext && key === 'alerts' && c === OPEN_ARRAY) {
        if (arrayStart >= 0) return null; // a second `alerts`: JSON.parse decides which one counts
        arrayStart = i;
        inAlerts = true;
        elementStart = i + 1;
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
        const last = text.slice(elementStart, i);
        // `[]` has no element; `[1,]` has an empty last one, which fails to parse as it should.
        if (elements.length > 0 || last.trim() !== '') elements.push(last);
        arrayEnd = i;
        inAlerts = false;
      }
      if (depth === 0 && text.slice(i + 1).trim() !== '') return null;
      continue;
    }
    if (depth === 1) {
      if (c === COLON) valueNext = true;
      else if (c === COMMA) {
        expectKey = true;
        valueNext = false;
      } else if (c > 0x20) valueNext = false;
    } else if (inAlerts && depth === 2 && c === COMMA) {
      elements.push(text.slice(elementStart, i));
      elementStart = i + 1;
    }
  }
  if (depth !== 0 || arrayStart < 0 || arrayEnd < 0) return null;
  return { envelope: `${text.slice(0, arrayStart)}[]${text.slice(arrayEnd + 1)}`, elements };
}

/** The index of the quote that closes the string opening at `start`, or -1 when it never closes. */
function stringEnd(text: string, start: number): number {
  let j = start + 1;
  for (;;) {
    j = text.indexOf('"', j);
    if (j < 0) return -1;
    let backslashes = 0;
    for (let b = j - 1; text.charCodeAt(b) === BACKSLASH; b--) backslashes++;
    if (backslashes % 2 === 0) return j;
    j++;
  }
}
