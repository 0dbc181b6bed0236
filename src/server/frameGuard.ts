/** Deepest nesting a client message may have; the deepest real message (a note with a source) has 5 levels. */
export const MAX_NESTING = 32;

/**
 * Whether JSON text nests objects/arrays deeper than `max`, found without parsing it. JSON.parse spends ~160 ns per
 * level, so one 256 KiB frame of `[[[[…` would stall the event loop for ~20 ms and a burst of them for seconds;
 * this scan costs about a nanosecond per character and stops at the first level too deep.
 */
export function nestingTooDeep(text: string, max = MAX_NESTING): boolean {
  // Shallow frames cannot be deep: skip the scan for what almost every real message is.
  if (text.length <= max * 2) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/**
 * The `requestId` of the outer object of JSON text, read without parsing it (for the error refusing a frame too deep
 * to parse); undefined when there is none usable (1–64 characters). Like JSON.parse, the last of repeated keys wins.
 */
export function topLevelRequestId(text: string, maxLength = 64): string | undefined {
  let depth = 0;
  let found: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const end = stringEnd(text, i);
      if (end < 0) return found;
      if (depth === 1 && end - i === 10 && text.startsWith('"requestId"', i)) {
        let j = skipSpace(text, end + 1);
        if (text.charCodeAt(j) === 0x3a) {
          j = skipSpace(text, j + 1);
          if (text.charCodeAt(j) === 0x22) {
            const valueEnd = stringEnd(text, j);
            if (valueEnd < 0) return found;
            found = readId(text.slice(j, valueEnd + 1), maxLength);
            i = valueEnd;
            continue;
          }
        }
      }
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return found;
}

/** Index of the quote closing the string that opens at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i;
  }
  return -1;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && /[ \t\r\n]/.test(text[i]!)) i++;
  return i;
}

function readId(literal: string, maxLength: number): string | undefined {
  if (literal.length > maxLength * 6 + 2) return undefined;
  try {
    const value = JSON.parse(literal) as unknown;
    return typeof value === 'string' && value.length >= 1 && value.length <= maxLength ? value : undefined;
  } catch {
    return undefined;
  }
}
