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
