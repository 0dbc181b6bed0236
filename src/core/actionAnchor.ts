import type { NoteSource } from '../protocol/events';

/**
 * Where an action item anchored to code (Add Action Item from Selection) sits in the text a responder has open now.
 * Pure: the extension feeds it the document's lines and its edits.
 *
 * - A file opened fresh (or after a reload): the stored snippet, matched line by line, nearest to the stored lines
 *   ({@link locateBySnippet}); when it is not found, the stored lines, trusted only when the file is unchanged since
 *   the stored commit, otherwise shown there marked as possibly moved ({@link fallbackAnchor}).
 * - While the file is open: every edit moves the anchor ({@link shiftAnchor}): edits above shift it, edits inside keep
 *   or grow it, deleting all of its lines drops it.
 */

/** An anchor in the current text: lines `start`–`end`, 0-based, inclusive. */
export interface Anchor {
  readonly start: number;
  readonly end: number;
  /**
   * How sure the place is: `snippet` (the captured code was found there), `unchanged` (not found, but the file is as
   * at the stored commit), `moved` (neither: the stored lines, which may no longer hold the code), `tracked` (moved
   * with the edits made while the file was open).
   */
  readonly confidence: 'snippet' | 'unchanged' | 'moved' | 'tracked';
}

/** One edit of a document, in the positions of the text before it (VS Code's TextDocumentContentChangeEvent). */
export interface TextEdit {
  readonly start: { readonly line: number; readonly character: number };
  readonly end: { readonly line: number; readonly character: number };
  readonly text: string;
}

/** The lines of a text, as an editor numbers them (`\r\n`, `\r` and `\n` all end a line). */
export function textLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/**
 * The snippet's place in `lines`: where every line of it is found in order (its first line may be the end of a
 * longer line, its last the start of one, since a selection need not start or end at a line's edge; trailing
 * whitespace is ignored), the match nearest the stored start line winning (the earlier one on a tie). Undefined when
 * the source has no snippet, the snippet is blank or it is nowhere in the text. The anchor spans the stored number
 * of lines (a snippet cut to the size limit holds fewer).
 */
export function locateBySnippet(lines: readonly string[], source: Pick<NoteSource, 'startLine' | 'endLine' | 'snippet'>): Anchor | undefined {
  if (!source.snippet || source.snippet.trim() === '') return undefined;
  const want = textLines(source.snippet).map((l) => l.trimEnd());
  // A selection ending at the start of a line ends with a newline: that empty last line is not part of it.
  if (want.length > 1 && want[want.length - 1] === '') want.pop();
  const span = Math.max(source.endLine - source.startLine + 1, want.length);
  const stored = source.startLine - 1;
  let best: number | undefined;
  for (let at = 0; at + want.length <= lines.length; at++) {
    if (!matchesAt(lines, at, want)) continue;
    if (best === undefined || Math.abs(at - stored) < Math.abs(best - stored)) best = at;
    // Matches further down only get further away once past the stored line.
    if (at >= stored) break;
  }
  if (best === undefined) return undefined;
  return { start: best, end: Math.min(lines.length - 1, best + span - 1), confidence: 'snippet' };
}

function matchesAt(lines: readonly string[], at: number, want: readonly string[]): boolean {
  const last = want.length - 1;
  for (let i = 0; i <= last; i++) {
    const line = (lines[at + i] as string).trimEnd();
    const w = want[i] as string;
    if (last === 0) return w.trim() !== '' && line.includes(w.trim());
    const ok = i === 0 ? line.endsWith(w) || (w.trim() !== '' && line.endsWith(w.trimStart())) : i === last ? line.startsWith(w) : line === w;
    if (!ok) return false;
  }
  return true;
}

/**
 * The stored lines (clamped to the text), when the snippet was not found: `unchanged` when the file is as at the
 * stored commit (so the stored numbers still point at the code), else `moved`, for the lens to say so.
 */
export function fallbackAnchor(lineCount: number, source: Pick<NoteSource, 'startLine' | 'endLine'>, unchangedSinceCommit: boolean): Anchor {
  const last = Math.max(0, lineCount - 1);
  const start = Math.min(source.startLine - 1, last);
  const end = Math.min(Math.max(start, source.endLine - 1), last);
  const inside = source.endLine - 1 <= last;
  return { start, end, confidence: unchangedSinceCommit && inside ? 'unchanged' : 'moved' };
}

/**
 * The anchor after one edit, or undefined when the edit deleted all of its lines. An edit ending above the anchor
 * (or at the very start of its first line) shifts it by the lines it added or removed; one that starts below leaves
 * it; one inside grows or shrinks it; one overlapping an edge keeps the part that is left; one covering it whole
 * drops it unless it put text in its place (a paste over the code: the anchor stays on what was pasted).
 */
export function shiftAnchor(anchor: Anchor, edit: TextEdit): Anchor | undefined {
  const added = newlines(edit.text);
  const removed = edit.end.line - edit.start.line;
  const delta = added - removed;
  const { start, end } = anchor;
  const tracked = (s: number, e: number): Anchor => ({ start: s, end: Math.max(s, e), confidence: anchor.confidence === 'moved' ? 'moved' : 'tracked' });
  // Wholly above, or ending at column 0 of the first line (lines typed above it, or the line above joined onto it).
  if (edit.end.line < start || (edit.end.line === start && edit.end.character === 0)) {
    return delta === 0 ? anchor : tracked(start + delta, end + delta);
  }
  // Below it.
  if (edit.start.line > end) return anchor;
  const fromTop = edit.start.line < start || (edit.start.line === start && edit.start.character === 0);
  const pastEnd = edit.end.line > end;
  if (fromTop && pastEnd) {
    // The whole anchor was replaced: gone when nothing but whitespace took its place.
    if (edit.text.trim() === '') return undefined;
    return tracked(edit.start.line, edit.start.line + added);
  }
  if (pastEnd) return tracked(start, edit.start.line + added);
  if (edit.start.line < start) return tracked(edit.start.line, end + delta);
  return tracked(start, end + delta);
}

function newlines(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) n++;
    else if (c === 13) {
      n++;
      if (text.charCodeAt(i + 1) === 10) i++;
    }
  }
  return n;
}
