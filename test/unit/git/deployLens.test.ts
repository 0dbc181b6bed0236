import * as assert from 'node:assert/strict';
import { listDeploys, type Deploy } from '../../../src/git/deployDiscovery';
import { GitRepository } from '../../../src/git/gitRepository';
import { lensMarks, lensWindow, mapLines, parseZeroContextDiff, placeHunks, readDeployChanges, readDeployCommitsByFile, splitLines } from '../../../src/git/deployLens';
import { Scratch, TempRepo } from './gitFixture';

const lines = (n: number, prefix = 'line') => Array.from({ length: n }, (_, i) => `${prefix} ${i}`);

describe('git/deployLens', () => {
  describe('mapLines (a line diff: where each old line is now)', () => {
    it('maps unchanged lines through an insertion, a deletion and an edit, and drops changed ones', () => {
      const before = ['a', 'b', 'c', 'd', 'e', 'f'];
      const after = ['new', 'a', 'b', 'C', 'd', 'f', 'tail'];
      assert.deepEqual([...mapLines(before, after)], [1, 2, -1, 4, -1, 5]);
    });
    it('maps identical texts one to one, and empty sides to nothing', () => {
      assert.deepEqual([...mapLines(['x', 'y'], ['x', 'y'])], [0, 1]);
      assert.deepEqual([...mapLines(['x', 'y'], [])], [-1, -1]);
      assert.deepEqual([...mapLines([], ['x'])], []);
    });
    it('keeps the longest run of matches (a moved block is matched once)', () => {
      const before = lines(10);
      const after = [...lines(10).slice(5), ...lines(10).slice(0, 5)];
      const map = [...mapLines(before, after)];
      const kept = map.filter((x) => x >= 0).length;
      assert.equal(kept, 5);
      // Matches never cross: kept lines stay in order.
      const order = map.filter((x) => x >= 0);
      assert.deepEqual(order, [...order].sort((a, b) => a - b));
    });
    it('agrees with a brute-force LCS on random edits', () => {
      let seed = 11;
      const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      for (let round = 0; round < 200; round++) {
        const before = Array.from({ length: Math.floor(rnd() * 12) }, () => 'abcd'[Math.floor(rnd() * 4)]!);
        const after = Array.from({ length: Math.floor(rnd() * 12) }, () => 'abcd'[Math.floor(rnd() * 4)]!);
        const map = [...mapLines(before, after)];
        // Valid: each mapped pair matches, strictly increasing.
        let last = -1;
        for (let i = 0; i < map.length; i++) {
          if (map[i]! < 0) continue;
          assert.equal(before[i], after[map[i]!]);
          assert.ok(map[i]! > last);
          last = map[i]!;
        }
        // Optimal: as many matches as the LCS.
        const dp = Array.from({ length: before.length + 1 }, () => new Array<number>(after.length + 1).fill(0));
        for (let i = before.length - 1; i >= 0; i--) for (let j = after.length - 1; j >= 0; j--) {
          dp[i]![j] = before[i] === after[j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
        }
        assert.equal(map.filter((x) => x >= 0).length, dp[0]![0], `${before.join('')} → ${after.join('')}`);
      }
    });
  });

  describe('parseZeroContextDiff', () => {
    it('reads the new side of every hunk, skips removals, deletions and the no-newline marker', () => {
      const out = [
        'diff --git a/src/pool.ts b/src/pool.ts', 'index 1..2 100644', '--- a/src/pool.ts', '+++ b/src/pool.ts',
        '@@ -3 +3 @@ export const a = 1;', '-export const max = 20;', '+export const max = 5;',
        '@@ -10,0 +11,2 @@', '+// idle', '+export const idle = 5000;',
        '@@ -20,2 +22,0 @@', '-gone', '-gone too',
        'diff --git a/old.ts b/old.ts', 'deleted file mode 100644', '--- a/old.ts', '+++ /dev/null', '@@ -1 +0,0 @@', '-x',
        'diff --git "a/caf\\303\\251.ts" "b/caf\\303\\251.ts"', '--- "a/caf\\303\\251.ts"', '+++ "b/caf\\303\\251.ts"', '@@ -1 +1 @@', '-a', '+b', '\\ No newline at end of file',
        '',
      ].join('\n');
      const files = parseZeroContextDiff(out);
      assert.deepEqual([...files.keys()], ['src/pool.ts', 'café.ts']);
      assert.deepEqual(files.get('src/pool.ts'), [{ start: 2, lines: ['export const max = 5;'] }, { start: 10, lines: ['// idle', 'export const idle = 5000;'] }]);
      assert.deepEqual(files.get('café.ts'), [{ start: 0, lines: ['b'] }]);
    });
  });

  describe('placeHunks', () => {
    const atDeploy = ['import x', 'const max = 5;', 'const idle = 5000;', 'export default x', 'end'];
    const hunks = [{ start: 1, lines: ['const max = 5;', 'const idle = 5000;'] }];
    it('marks the lines where they are now: they move with an edit above them', () => {
      assert.deepEqual(placeHunks(hunks, atDeploy, atDeploy), [{ start: 1, end: 3 }]);
      const now = ['// header', '// more', ...atDeploy];
      assert.deepEqual(placeHunks(hunks, atDeploy, now), [{ start: 3, end: 5 }]);
    });
    it('drops a line that no longer reads as the deploy left it, and splits the hunk around it', () => {
      const now = ['import x', 'const max = 50;', 'const idle = 5000;', 'export default x', 'end'];
      assert.deepEqual(placeHunks(hunks, atDeploy, now), [{ start: 2, end: 3 }]);
      const split = ['import x', 'const max = 5;', '// why', 'const idle = 5000;', 'export default x', 'end'];
      assert.deepEqual(placeHunks(hunks, atDeploy, split), [{ start: 1, end: 2 }, { start: 3, end: 4 }]);
      assert.deepEqual(placeHunks(hunks, atDeploy, ['import x', 'export default x', 'end']), []);
    });
    it('marks nothing when the hunk does not describe the file (a stale cache must not mark wrong lines)', () => {
      assert.deepEqual(placeHunks([{ start: 1, lines: ['something else'] }], atDeploy, atDeploy), []);
    });
  });

  describe('readDeployChanges on a real repository', () => {
    let scratch: Scratch;
    let repo: TempRepo;
    let deploys: Deploy[];
    before(async () => {
      scratch = new Scratch();
      repo = TempRepo.init(scratch, 'lens');
      repo.commit('start', { 'src/pool.ts': `${lines(20, 'pool').join('\n')}\n`, 'src/api.ts': `${lines(10, 'api').join('\n')}\n`, 'README.md': 'hi\n' });
      repo.tag('release-40');
      repo.commit('pool: smaller', { 'src/pool.ts': `${lines(20, 'pool').map((l, i) => (i === 4 ? 'max = 5' : l)).join('\n')}\n` });
      repo.tag('release-41');
      repo.commit('api: retry', { 'src/api.ts': `${lines(10, 'api').map((l, i) => (i === 2 ? 'retry = 3' : l)).join('\n')}\n` });
      repo.commit('pool: idle timeout', { 'src/pool.ts': `${lines(20, 'pool').map((l, i) => (i === 4 ? 'max = 5' : i === 12 ? 'idle = 5000\nevict = true' : l)).join('\n')}\n` });
      repo.tag('release-42');
      deploys = (await listDeploys(repo.runner(), { sources: ['tags'], tagPatterns: ['release-*'] })).deploys;
    });
    after(() => scratch.cleanup());

    it('gives every changed file its hunks and the commits that touched it; untouched files are absent', async () => {
      const r42 = deploys.find((d) => d.ref === 'release-42')!;
      const changes = await readDeployChanges(repo.runner(), r42);
      assert.deepEqual([...changes.hunks.keys()].sort(), ['src/api.ts', 'src/pool.ts']);
      assert.deepEqual(changes.hunks.get('src/pool.ts'), [{ start: 12, lines: ['idle = 5000', 'evict = true'] }]);
      assert.deepEqual(changes.hunks.get('src/api.ts'), [{ start: 2, lines: ['retry = 3'] }]);
      const commits = await readDeployCommitsByFile(repo.runner(), r42);
      assert.deepEqual(commits.get('src/pool.ts')?.map((c) => c.subject), ['pool: idle timeout']);
      assert.deepEqual(commits.get('src/api.ts')?.map((c) => `${c.subject} by ${c.author.name}`), ['api: retry by Test User']);
      assert.equal(commits.get('README.md'), undefined);
      const r41 = await readDeployChanges(repo.runner(), deploys.find((d) => d.ref === 'release-41')!);
      assert.deepEqual(r41.hunks.get('src/pool.ts'), [{ start: 4, lines: ['max = 5'] }]);
      assert.equal(r41.hunks.get('src/api.ts'), undefined);
    });

    it('the window is the deploy running at detection and the ones before it', () => {
      const at = (ref: string) => deploys.find((d) => d.ref === ref)!;
      const detected = new Date((at('release-42').epochSeconds + 30) * 1000).toISOString();
      assert.deepEqual(lensWindow(deploys, detected, 3).map((d) => d.ref), ['release-42', 'release-41', 'release-40']);
      assert.deepEqual(lensWindow(deploys, detected, 2).map((d) => d.ref), ['release-42', 'release-41']);
      const beforeR42 = new Date((at('release-42').epochSeconds - 1) * 1000).toISOString();
      assert.deepEqual(lensWindow(deploys, beforeR42, 3).map((d) => d.ref), ['release-41', 'release-40']);
      assert.deepEqual(lensWindow(deploys, '2000-01-01T00:00:00Z', 3), [], 'detected before any deploy: nothing ran that a deploy shipped');
      assert.deepEqual(lensWindow(deploys, undefined, 1).map((d) => d.ref), ['release-42']);
    });

    it('marks a file changed in two deploys with each deploy\'s lines, follows an edit, and reads nothing for an untouched file', async () => {
      const repository = new GitRepository({ root: repo.dir, gitDir: `${repo.dir}/.git`, commonDir: `${repo.dir}/.git`, bare: false }, { env: scratch.env, watch: false });
      try {
        const window = lensWindow(deploys, undefined, 3);
        const pool = splitLines(repo.git(['show', 'HEAD:src/pool.ts']));
        const edited = ['// added above', ...pool];
        const marks = await lensMarks(repository, window, 'src/pool.ts', edited);
        assert.deepEqual(marks.map((m) => ({ start: m.start, end: m.end, ref: m.deploy.ref })), [
          { start: 5, end: 6, ref: 'release-41' },
          { start: 13, end: 15, ref: 'release-42' },
        ]);
        assert.deepEqual(await lensMarks(repository, window, 'README.md', ['hi']), []);
        // An untouched file's text is never split: the editor's text is asked for only when a deploy touched the file.
        assert.deepEqual(await lensMarks(repository, window, 'README.md', () => assert.fail('read the text of an untouched file')), []);
        assert.equal((await lensMarks(repository, window, 'src/pool.ts', () => edited)).length, 2);
        assert.deepEqual(await lensMarks(repository, window, 'src/pool.ts', edited.map((l) => (l === 'max = 5' ? 'max = 8' : l))).then((m) => m.map((x) => x.deploy.ref)), ['release-42'], 'a line edited since is no longer the deploy\'s');
      } finally {
        repository.dispose();
      }
    });

    it('places release-42\'s hunks in a working copy edited since', async () => {
      const r42 = deploys.find((d) => d.ref === 'release-42')!;
      const changes = await readDeployChanges(repo.runner(), r42);
      const atDeploy = splitLines(repo.git(['show', `${r42.sha}:src/pool.ts`]));
      const now = ['// a new header line', ...atDeploy];
      assert.deepEqual(placeHunks(changes.hunks.get('src/pool.ts')!, atDeploy, now), [{ start: 13, end: 15 }]);
    });
  });
});
