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

  it('an edit over one edge keeps the part that is left', () => {
    // From above into its second line: what is left starts where the edit started.
    assert.deepEqual(place(shiftAnchor(a, edit([8, 0], [11, 2], ''))), [8, 9]);
    // From its last line to below.
    assert.deepEqual(place(shiftAnchor(a, edit([12, 3], [20, 0], ''))), [10, 12]);
    assert.deepEqual(place(shiftAnchor(a, edit([11, 3], [20, 0], ''))), [10, 11]);
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
