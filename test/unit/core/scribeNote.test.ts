import assert from 'node:assert/strict';
import { Limits } from '../../../src/protocol/codes';
import { utf8Bytes } from '../../../src/protocol/events';
import { capSnippet, scribeNoteText } from '../../../src/core/scribeNote';

describe('core/scribeNote', () => {
  it('keeps a selection whole when it fits, and says when it was cut to the setting', () => {
    assert.deepEqual(capSnippet('const pool = 10;', 4000), { snippet: 'const pool = 10;', cut: false });
    const long = 'x'.repeat(5000);
    const { snippet, cut } = capSnippet(long, 4000);
    assert.equal(snippet.length, 4000);
    assert.equal(cut, true);
  });

  it('never keeps more than the protocol\'s snippet bytes, even in characters that take 4 bytes each', () => {
    const emoji = '🔥'.repeat(8000); // 16,000 UTF-16 units, 32,000 bytes
    const { snippet, cut } = capSnippet(emoji, 16_000);
    assert.ok(utf8Bytes(snippet) <= Limits.snippetBytes, `${utf8Bytes(snippet)} bytes`);
    assert.equal(cut, true);
  });

  it('a note says the comment, or the first code line as code, then its caveat and the cut', () => {
    assert.equal(scribeNoteText({ comment: 'pool too small', snippet: 'a\nb', selectedLength: 3, cut: false, caveat: '' }), 'pool too small');
    assert.equal(scribeNoteText({ comment: '', snippet: '\n   \n  const pool = 10;\nx', selectedLength: 30, cut: false, caveat: ' (file not in git)' }), '`const pool = 10;` (file not in git)');
    assert.equal(scribeNoteText({ comment: 'why', snippet: 'abcd', selectedLength: 9000, cut: true, caveat: '' }), 'why [selection cut to 4 of 9000 characters]');
    assert.equal(scribeNoteText({ comment: 'y'.repeat(Limits.noteLength + 50), snippet: '', selectedLength: 0, cut: false, caveat: '' }).length, Limits.noteLength);
  });
});
