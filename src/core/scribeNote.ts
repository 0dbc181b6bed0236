import { Limits } from '../protocol/codes';
import { utf8Bytes } from '../protocol/vocabulary';

/** The text kept from a selection: at most `maxChars` characters and the protocol's 16 KiB. */
export function capSnippet(text: string, maxChars: number): { snippet: string; cut: boolean } {
  let snippet = text.length > maxChars ? text.slice(0, maxChars) : text;
  while (utf8Bytes(snippet) > Limits.snippetBytes) snippet = snippet.slice(0, Math.floor(snippet.length * 0.9));
  return { snippet, cut: snippet.length < text.length };
}

/**
 * The text of a scribe note from a selection: the responder's comment, or the snippet's first non-blank line as
 * code; then why its provenance is partial (`caveat`, e.g. " (file not in git)") and whether the selection was cut.
 */
export function scribeNoteText(o: { comment: string; snippet: string; selectedLength: number; cut: boolean; caveat: string }): string {
  const firstLine = o.snippet.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  const cutNote = o.cut ? ` [selection cut to ${o.snippet.length} of ${o.selectedLength} characters]` : '';
  return `${o.comment || `\`${firstLine.slice(0, 200)}\``}${o.caveat}${cutNote}`.slice(0, Limits.noteLength);
}
