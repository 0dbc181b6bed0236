import * as assert from 'node:assert/strict';
import { formatGitCommand, GitError, isGitError, summarizeStderr } from '../../../src/git/gitError';

// The one line a responder reads when a git call fails (summarizeStderr), the command a log names, and how
// callers tell one failure from another.

describe('git/gitError', () => {
  it('says git\'s fatal or error line, not a hint, a blank or a commit subject that mentions an error', () => {
    // A revert of a commit whose subject says "error:": the line that begins with it is the one that matters.
    const revert = 'Reverting "Fix parse error: empty body"\nhint: after resolving the conflicts, mark the corrected paths\n\nerror: could not revert 1234567... Fix parse error: empty body\n';
    assert.equal(summarizeStderr(revert), 'error: could not revert 1234567... Fix parse error: empty body');
    assert.equal(summarizeStderr('  \nhint: use --force\n   fatal: bad revision \'nope\'   \n'), 'fatal: bad revision \'nope\'');
    // No fatal or error line: the first line with something in it (trimmed); hints never.
    assert.equal(summarizeStderr('\nhint: a hint\n   Everything up-to-date  \nsecond\n'), 'Everything up-to-date');
    assert.equal(summarizeStderr('hint: only hints\n\n'), '');
    assert.equal(summarizeStderr(''), '');
    // A hint is a line that begins so; a line that merely mentions one is kept.
    assert.equal(summarizeStderr('see the hint: below\n'), 'see the hint: below');
  });

  it('cuts a line over 300 characters with an ellipsis, and keeps one of exactly 300', () => {
    const exact = `fatal: ${'x'.repeat(293)}`;
    assert.equal(summarizeStderr(exact), exact);
    const long = `fatal: ${'y'.repeat(400)}`;
    assert.equal(summarizeStderr(long), `${long.slice(0, 300)}…`);
  });

  it('names the command as a shell would read it, quoting only what needs it', () => {
    assert.equal(formatGitCommand([]), 'git');
    assert.equal(formatGitCommand(['log', '--format=%H %s', 'main..deploy/42', '--', 'src/a b.ts', "it's", 'a;b', 'x@y:z,w']),
      "git log '--format=%H %s' main..deploy/42 -- 'src/a b.ts' 'it'\\''s' 'a;b' x@y:z,w");
    assert.equal(formatGitCommand(['$(rm -rf ~)', 'ok/ok', ' lead']), "git '$(rm -rf ~)' ok/ok ' lead'");
    const e = new GitError('RefNotFound', 'no such ref', { args: ['rev-parse', '--verify', 'v 1'] });
    assert.equal(e.command, "git rev-parse --verify 'v 1'");
    assert.equal(new GitError('Unknown', 'x').command, 'git');
    assert.equal(e.name, 'GitError');
    assert.match(String(e), /^GitError: no such ref$/);
  });

  it('tells a GitError, and one of given codes, from anything else', () => {
    const e = new GitError('DirtyWorkTree', 'dirty');
    assert.equal(isGitError(e), true);
    assert.equal(isGitError(e, 'DirtyWorkTree'), true);
    assert.equal(isGitError(e, 'MergeConflict', 'DirtyWorkTree'), true);
    assert.equal(isGitError(e, 'MergeConflict'), false);
    assert.equal(isGitError(new Error('dirty')), false);
    assert.equal(isGitError(new Error('dirty'), 'DirtyWorkTree'), false);
    assert.equal(isGitError({ code: 'DirtyWorkTree', message: 'dirty' }, 'DirtyWorkTree'), false);
    assert.equal(isGitError(undefined), false);
  });
});
