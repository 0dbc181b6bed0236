import * as assert from 'node:assert/strict';
import { listDeployCommits } from '../../../src/git/deployCommits';
import { listDeployFiles, parseRawNumstat, type FileChange } from '../../../src/git/deployDiff';
import { listDeploys, type Deploy } from '../../../src/git/deployDiscovery';
import { describeUnshownFile, looksBinary, readFileAtRevision, showFileBytes } from '../../../src/git/fileAtRevision';
import { isGitError } from '../../../src/git/gitError';
import { Scratch, TempRepo } from './gitFixture';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0xff, 0x00, 0x01]);
const LATIN1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0d, 0x0a]); // "café\r\n" in Latin-1: not valid UTF-8

describe('git/deployDiff', () => {
  let scratch: Scratch;
  let repo: TempRepo;
  let deploys: Deploy[];
  before(async () => {
    scratch = new Scratch();
    repo = TempRepo.init(scratch, 'diff');
    const long = Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n') + '\n';
    repo.commit('first deploy', {
      'keep.txt': 'keep\n',
      'modify.txt': 'one\ntwo\nthree\n',
      'remove.txt': 'bye\n',
      'old name.txt': long,
      'logo.png': PNG,
      'legacy.txt': LATIN1,
    });
    repo.tag('deploy/1', { message: 'one' });
    repo.commit('change things', {
      'modify.txt': 'one\nTWO\nthree\nfour\n',
      'remove.txt': null,
      'old name.txt': null,
      'dir/new name ü.txt': long.replace('line 3\n', 'line three\n'),
      'added.txt': 'new\n',
      'logo.png': Buffer.concat([PNG, Buffer.from([0, 1, 2])]),
      'data.bin': Buffer.from([0, 0, 0, 1]),
    });
    repo.commit('more', { 'added.txt': 'new\nmore\n' });
    repo.tag('deploy/2', { message: 'two' });
    deploys = (await listDeploys(repo.runner(), { sources: ['tags'], tagPatterns: ['deploy/*'] })).deploys;
  });
  after(() => scratch.cleanup());

  const byPath = (files: FileChange[]) => new Map(files.map((f) => [f.path, f]));

  it('lists added, modified, deleted, renamed and binary files with +/- lines', async () => {
    const listing = await listDeployFiles(repo.runner(), deploys[0] as Deploy);
    assert.equal(listing.from, repo.rev('deploy/1'));
    assert.equal(listing.to, repo.rev('deploy/2'));
    const files = byPath(listing.files);
    assert.deepEqual([...files.keys()].sort(), ['added.txt', 'data.bin', 'dir/new name ü.txt', 'logo.png', 'modify.txt', 'remove.txt'].sort());
    assert.deepEqual(pick(files.get('added.txt')), { status: 'added', binary: false, additions: 2, deletions: 0 });
    assert.deepEqual(pick(files.get('modify.txt')), { status: 'modified', binary: false, additions: 2, deletions: 1 });
    assert.deepEqual(pick(files.get('remove.txt')), { status: 'deleted', binary: false, additions: 0, deletions: 1 });
    assert.deepEqual(pick(files.get('logo.png')), { status: 'modified', binary: true, additions: undefined, deletions: undefined });
    assert.deepEqual(pick(files.get('data.bin')), { status: 'added', binary: true, additions: undefined, deletions: undefined });
    const renamed = files.get('dir/new name ü.txt');
    assert.deepEqual(pick(renamed), { status: 'renamed', binary: false, additions: 1, deletions: 1 });
    assert.equal(renamed?.oldPath, 'old name.txt');
    assert.ok((renamed?.similarity ?? 0) >= 90);
    assert.equal(files.get('added.txt')?.oldBlob, undefined);
    assert.equal(files.get('added.txt')?.newBlob, repo.git(['rev-parse', 'deploy/2:added.txt']));
    assert.equal(files.get('remove.txt')?.newBlob, undefined);
  });

  it('lists every file as added for the first deploy (no previous)', async () => {
    const listing = await listDeployFiles(repo.runner(), deploys[1] as Deploy);
    assert.equal(listing.files.length, 6);
    assert.ok(listing.files.every((f) => f.status === 'added'));
    assert.equal(listing.from, '4b825dc642cb6eb9a060e54bf8d69288fbee4904');
    // The left side of a first deploy's file is the empty tree: shown as missing, not an error.
    assert.deepEqual(await readFileAtRevision(repo.runner(), listing.from, 'keep.txt'), { kind: 'missing' });
  });

  it("lists a deploy's commits lazily", async () => {
    const { commits, truncated } = await listDeployCommits(repo.runner(), deploys[0] as Deploy);
    assert.deepEqual(commits.map((c) => c.subject), ['more', 'change things']);
    assert.equal(truncated, false);
    assert.equal(commits[0]?.parents[0], commits[1]?.sha);
    assert.equal((await listDeployCommits(repo.runner(), deploys[0] as Deploy, { limit: 1 })).truncated, true);
  });

  it('returns the exact bytes of `git show REV:PATH` (binary, CRLF, non-UTF-8, non-ASCII path)', async () => {
    const runner = repo.runner();
    for (const [rev, p] of [
      ['deploy/2', 'logo.png'],
      ['deploy/1', 'legacy.txt'],
      ['deploy/2', 'dir/new name ü.txt'],
      [repo.rev('deploy/2'), 'data.bin'],
    ] as const) {
      const expected = repo.gitBuffer(['show', `${rev}:${p}`]);
      assert.ok((await showFileBytes(runner, rev, p)).equals(expected), `${rev}:${p}`);
    }
  });

  it('reads a side of the diff as text, binary, huge or missing', async () => {
    const runner = repo.runner();
    const text = await readFileAtRevision(runner, 'deploy/2', 'modify.txt');
    assert.equal(text.kind, 'text');
    assert.equal(text.kind === 'text' && text.bytes.toString(), 'one\nTWO\nthree\nfour\n');
    const bin = await readFileAtRevision(runner, 'deploy/2', 'logo.png');
    assert.equal(bin.kind, 'binary');
    assert.match(describeUnshownFile(bin) ?? '', /^Binary file, 18 B/);
    const huge = await readFileAtRevision(runner, 'deploy/1', 'old name.txt', { maxBytes: 100 });
    assert.deepEqual(huge, { kind: 'huge', size: repo.gitBuffer(['show', 'deploy/1:old name.txt']).length });
    assert.deepEqual(await readFileAtRevision(runner, 'deploy/1', 'added.txt'), { kind: 'missing' });
    await assert.rejects(readFileAtRevision(runner, 'deploy/9', 'x'), (e: unknown) => isGitError(e, 'RefNotFound'));
    await assert.rejects(readFileAtRevision(runner, '--output=/tmp/x', 'x'), (e: unknown) => isGitError(e, 'InvalidRefName'));
    await assert.rejects(showFileBytes(runner, 'deploy/1', '/etc/passwd'), (e: unknown) => isGitError(e, 'UnsafeInput'));
    assert.equal(looksBinary(Buffer.from('plain')), false);
  });

  it('parses raw+numstat output with renames (pure)', () => {
    const z = '\0';
    const out =
      `:100644 100644 ${'a'.repeat(40)} ${'b'.repeat(40)} R087${z}old${z}new${z}` +
      `:000000 160000 ${'0'.repeat(40)} ${'c'.repeat(40)} A${z}sub${z}` +
      `3\t1\t${z}old${z}new${z}1\t0\tsub${z}`;
    assert.deepEqual(parseRawNumstat(out), [
      { status: 'renamed', path: 'new', oldPath: 'old', similarity: 87, binary: false, submodule: false, oldMode: '100644', newMode: '100644', oldBlob: 'a'.repeat(40), newBlob: 'b'.repeat(40), additions: 3, deletions: 1 },
      { status: 'added', path: 'sub', binary: false, submodule: true, oldMode: '000000', newMode: '160000', newBlob: 'c'.repeat(40), additions: 1, deletions: 0 },
    ]);
  });
});

function pick(f: FileChange | undefined) {
  assert.ok(f);
  return { status: f.status, binary: f.binary, additions: f.additions, deletions: f.deletions };
}
