import assert from 'node:assert/strict';
import { fallbackAnchor, locateBySnippet, shiftAnchor, textLines, type Anchor, type TextEdit } from '../../../src/core/actionAnchor';

const file = (n: number) => Array.from({ length: n }, (_, i) => `line ${i}`);
const at = (line: number, character = 0) => ({ line, character });
const edit = (start: [number, number], end: [number, number], text: string): TextEdit => ({ start: at(...start), end: at(...end), text });
const anchor = (start: number, end: number): Anchor => ({ start, end, confidence: 'snippet' });
const place = (a: Anchor | undefined) => (a ? [a.start, a.end] : undefined);

describe('core/actionAnchor: locateBySnippet (a file opened fresh)', () => {
  const code = ['import x', '', 'function pool() {', '  const size = 5;', '  return size;', '}', '', 'function other() {', '  const size = 5;', '  return size;', '}'];

  it('finds the snippet where it was anchored', () => {
    assert.deepEqual(locateBySnippet(code, { startLine: 4, endLine: 5, snippet: '  const size = 5;\n  return size;' }), { start: 3, end: 4, confidence: 'snippet' });
  });

  it('finds it moved down by lines added above, and picks the copy nearest the stored lines', () => {
    const moved = ['// a', '// b', '// c', ...code];
    assert.deepEqual(place(locateBySnippet(moved, { startLine: 4, endLine: 5, snippet: '  const size = 5;\n  return size;' })), [6, 7]);
    // The same two lines appear again in other(): stored at line 9, the second copy wins.
    assert.deepEqual(place(locateBySnippet(code, { startLine: 9, endLine: 10, snippet: '  const size = 5;\n  return size;' })), [8, 9]);
    assert.deepEqual(place(locateBySnippet(code, { startLine: 7, endLine: 8, snippet: '  const size = 5;\n  return size;' })), [8, 9], 'stored between: 8 is nearer than 3');
    assert.deepEqual(place(locateBySnippet(code, { startLine: 6, endLine: 7, snippet: '  const size = 5;\n  return size;' })), [3, 4], 'stored between: 3 is nearer than 8');
    assert.deepEqual(place(locateBySnippet(['a', 'b', 'c', 'b'], { startLine: 3, endLine: 3, snippet: 'b' })), [1, 1], 'a tie goes to the earlier one');
  });

  it('reads a selection that starts or ends inside a line, one ending with a newline, and CRLF text', () => {
    assert.deepEqual(place(locateBySnippet(code, { startLine: 3, endLine: 4, snippet: 'pool() {\n  const size' })), [2, 3]);
    assert.deepEqual(place(locateBySnippet(code, { startLine: 3, endLine: 4, snippet: 'function pool() {\r\n  const size = 5;\r\n' })), [2, 3]);
    assert.deepEqual(place(locateBySnippet(textLines('a\r\nb = 1\r\nc\r\n'), { startLine: 2, endLine: 2, snippet: '= 1' })), [1, 1]);
  });

  it('keeps the stored span when the snippet was cut to the size limit', () => {
    assert.deepEqual(place(locateBySnippet(code, { startLine: 3, endLine: 6, snippet: 'function pool() {\n  const si' })), [2, 5]);
  });

  it('finds a single word or call selected in the middle of a line', () => {
    assert.deepEqual(locateBySnippet(code, { startLine: 4, endLine: 4, snippet: 'size = 5' }), { start: 3, end: 3, confidence: 'snippet' });
  });

  it('finds code a formatter re-indented: one line, or a first line whose indentation changed', () => {
    assert.deepEqual(place(locateBySnippet(code, { startLine: 5, endLine: 5, snippet: '      return size;' })), [4, 4]);
    assert.deepEqual(place(locateBySnippet(code, { startLine: 4, endLine: 5, snippet: '      const size = 5;\n  return size;' })), [3, 4]);
  });

  it('finds a snippet of three lines, and only where its first line ends and its middle lines read as selected', () => {
    assert.deepEqual(place(locateBySnippet(code, { startLine: 3, endLine: 5, snippet: 'pool() {\n  const size = 5;\n  return size;' })), [2, 4]);
    // The nearer copy of each was edited since (a comment after the first line, a changed middle line): the exact copy wins.
    const commented = ['function a() {', '  retry(3); // flaky', '  const size = 5;', '  return size;', '}', 'function b() {', '  retry(3);', '  const size = 5;', '  return size;', '}'];
    assert.deepEqual(place(locateBySnippet(commented, { startLine: 2, endLine: 4, snippet: '  retry(3);\n  const size = 5;\n  return size;' })), [6, 8]);
    const changed = ['function a() {', '  retry(3);', '  const size = 5; // was 4', '  return size;', '}', 'function b() {', '  retry(3);', '  const size = 5;', '  return size;', '}'];
    assert.deepEqual(place(locateBySnippet(changed, { startLine: 2, endLine: 4, snippet: '  retry(3);\n  const size = 5;\n  return size;' })), [6, 8]);
    assert.equal(locateBySnippet(changed.slice(0, 5), { startLine: 2, endLine: 4, snippet: '  retry(3);\n  const size = 5;\n  return size;' }), undefined);
  });

  it('finds a snippet on the last lines of the file, and never spans past its end', () => {
    assert.deepEqual(place(locateBySnippet(code, { startLine: 10, endLine: 11, snippet: '  return size;\n}' })), [9, 10]);
    assert.deepEqual(place(locateBySnippet(['a()', 'b()', 'last()'], { startLine: 3, endLine: 3, snippet: 'last()' })), [2, 2]);
    // Stored as five lines (the snippet cut to the size limit), found two lines from the end.
    assert.deepEqual(place(locateBySnippet(code, { startLine: 10, endLine: 14, snippet: '  return size;\n}' })), [9, 10]);
  });

  it('finds nothing for a selection of blank lines, which would match anywhere', () => {
    assert.equal(locateBySnippet(code, { startLine: 6, endLine: 7, snippet: '\n\n' }), undefined);
    assert.equal(locateBySnippet(code, { startLine: 6, endLine: 7, snippet: '  \n\t\n' }), undefined);
  });

  it('finds nothing for a snippet that is gone, blank or missing', () => {
    assert.equal(locateBySnippet(code, { startLine: 4, endLine: 4, snippet: '  const size = 50;' }), undefined);
    assert.equal(locateBySnippet(code, { startLine: 2, endLine: 2, snippet: '\n' }), undefined);
    assert.equal(locateBySnippet(code, { startLine: 2, endLine: 2 }), undefined);
    // In order only: the two lines exist but not one after the other.
    assert.equal(locateBySnippet(code, { startLine: 1, endLine: 2, snippet: 'import x\nfunction pool() {' }), undefined);
  });
});

describe('core/actionAnchor: fallbackAnchor (snippet not found)', () => {
  it('trusts the stored lines only when the file is unchanged since the commit; otherwise marks them moved', () => {
    assert.deepEqual(fallbackAnchor(20, { startLine: 4, endLine: 6 }, true), { start: 3, end: 5, confidence: 'unchanged' });
    assert.deepEqual(fallbackAnchor(20, { startLine: 4, endLine: 6 }, false), { start: 3, end: 5, confidence: 'moved' });
  });

  it('trusts stored lines that end on the last line of an unchanged file', () => {
    assert.deepEqual(fallbackAnchor(6, { startLine: 5, endLine: 6 }, true), { start: 4, end: 5, confidence: 'unchanged' });
  });

  it('clamps lines past the end of a shorter file, and never calls that unchanged', () => {
    assert.deepEqual(fallbackAnchor(3, { startLine: 10, endLine: 12 }, true), { start: 2, end: 2, confidence: 'moved' });
    assert.deepEqual(fallbackAnchor(0, { startLine: 1, endLine: 1 }, false), { start: 0, end: 0, confidence: 'moved' });
  });
});

describe('core/actionAnchor: shiftAnchor (edits while the file is open)', () => {
  const a = anchor(10, 12);

  it('lines typed above shift it down; lines deleted above shift it up', () => {
    assert.deepEqual(shiftAnchor(a, edit([2, 0], [2, 0], 'one\ntwo\nthree\n')), { start: 13, end: 15, confidence: 'tracked' });
    // Typing Enter at the very start of its first line pushes it down too.
    assert.deepEqual(place(shiftAnchor(a, edit([10, 0], [10, 0], '\n'))), [11, 13]);
    assert.deepEqual(place(shiftAnchor(a, edit([3, 0], [6, 0], ''))), [7, 9]);
    // Joining the line above onto its first line (Backspace at column 0).
    assert.deepEqual(place(shiftAnchor(a, edit([9, 7], [10, 0], ''))), [9, 11]);
  });

  it('an edit on one line above, or anywhere below, leaves it where it is', () => {
    assert.equal(shiftAnchor(a, edit([4, 2], [4, 5], 'abc')), a);
    assert.equal(shiftAnchor(a, edit([13, 0], [13, 0], 'x\ny\n')), a);
    assert.equal(shiftAnchor(a, edit([30, 0], [35, 0], '')), a);
  });

  it('an edit inside keeps it, growing or shrinking with the lines added or removed', () => {
    assert.deepEqual(place(shiftAnchor(a, edit([11, 3], [11, 3], 'a\nb\n'))), [10, 14]);
    assert.deepEqual(place(shiftAnchor(a, edit([11, 0], [12, 0], ''))), [10, 11]);
    assert.deepEqual(place(shiftAnchor(a, edit([10, 4], [10, 9], 'y'))), [10, 12]);
  });

  it('Enter typed inside its first or last line grows it by a line', () => {
    assert.deepEqual(place(shiftAnchor(a, edit([10, 4], [10, 4], '\n'))), [10, 13]);
    assert.deepEqual(place(shiftAnchor(a, edit([12, 3], [12, 3], '\n'))), [10, 13]);
  });

  it('text pasted with Windows (CRLF) or old Mac (CR) line ends shifts it by the lines it holds', () => {
    assert.deepEqual(place(shiftAnchor(a, edit([2, 0], [2, 0], 'one\r\ntwo\r\n'))), [12, 14]);
    assert.deepEqual(place(shiftAnchor(a, edit([2, 0], [2, 0], 'one\rtwo\r'))), [12, 14]);
    assert.deepEqual(place(shiftAnchor(a, edit([2, 0], [2, 0], '\r\r\r\n'))), [13, 15]);
  });

  it('an edit over one edge keeps the part that is left', () => {
    // From above into its second line: what is left starts where the edit started.
    assert.deepEqual(place(shiftAnchor(a, edit([8, 0], [11, 2], ''))), [8, 9]);
    // From its last line to below.
    assert.deepEqual(place(shiftAnchor(a, edit([12, 3], [20, 0], ''))), [10, 12]);
    assert.deepEqual(place(shiftAnchor(a, edit([11, 3], [20, 0], ''))), [10, 11]);
    // From the middle, or the start, of a line inside it to below: its first line is left.
    assert.deepEqual(place(shiftAnchor(a, edit([10, 4], [20, 0], ''))), [10, 10]);
    assert.deepEqual(place(shiftAnchor(a, edit([11, 0], [20, 0], ''))), [10, 11]);
    // From its start into its last line: the tail of that line is left.
    assert.deepEqual(place(shiftAnchor(a, edit([10, 0], [12, 2], ''))), [10, 10]);
    // Lines pasted over its tail stay in it.
    assert.deepEqual(place(shiftAnchor(a, edit([11, 3], [20, 0], 'retry();\nbreaker();\n'))), [10, 13]);
  });

  it('deleting all of its lines drops it; pasting over them keeps it on what was pasted', () => {
    assert.equal(shiftAnchor(a, edit([10, 0], [13, 0], '')), undefined);
    assert.equal(shiftAnchor(a, edit([5, 0], [20, 0], '\n\n')), undefined, 'only blank lines took its place');
    assert.deepEqual(place(shiftAnchor(a, edit([10, 0], [13, 0], 'retry();\nbreaker();\n'))), [10, 12]);
  });

  it('a moved anchor stays marked moved; a found one becomes tracked once it moves', () => {
    assert.equal(shiftAnchor({ start: 4, end: 4, confidence: 'moved' }, edit([0, 0], [0, 0], '\n'))?.confidence, 'moved');
    assert.equal(shiftAnchor({ start: 4, end: 4, confidence: 'unchanged' }, edit([0, 0], [0, 0], '\n'))?.confidence, 'tracked');
  });

  it('follows a run of edits to the same place the snippet would be found at', () => {
    const lines = file(20);
    let current: Anchor | undefined = locateBySnippet(lines, { startLine: 11, endLine: 12, snippet: 'line 10\nline 11' });
    const edits = [edit([0, 0], [0, 0], 'a\nb\n'), edit([5, 0], [7, 0], ''), edit([15, 0], [15, 0], 'zzz\n')];
    const text = [...lines];
    for (const e of edits) {
      current = current && shiftAnchor(current, e);
      text.splice(e.start.line, e.end.line - e.start.line, ...textLines(e.text).slice(0, -1));
    }
    assert.deepEqual(place(current), place(locateBySnippet(text, { startLine: 11, endLine: 12, snippet: 'line 10\nline 11' })));
  });
});
