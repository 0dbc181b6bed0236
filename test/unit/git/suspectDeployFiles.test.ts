import * as assert from 'node:assert/strict';
import { GitRepository } from '../../../src/git/gitRepository';
import { findRepository } from '../../../src/git/repository';
import { readSuspectDeployFiles } from '../../../src/git/suspectDeployFiles';
import { Scratch, TempRepo } from './gitFixture';

const lines = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix} ${i}`);
const SETTINGS = { sources: ['tags'] as const, tagPatterns: ['release-*'] };

describe('git/suspectDeployFiles (what a suspect deploy changed, for the postmortem)', () => {
  const scratch = new Scratch();
  let repo: TempRepo;
  let git: GitRepository;
  let r42: string;
  let untagged: string;

  before(async () => {
    repo = TempRepo.init(scratch, 'shop');
    repo.git(['remote', 'add', 'origin', 'git@github.com:acme/shop.git']);
    const pool = lines(20, 'pool');
    repo.commit('start', { 'src/pool.ts': `${pool.join('\n')}\n`, 'db/old.sql': 'drop table x;\n', 'README.md': 'shop\n' });
    repo.tag('release-40');
    repo.commit('docs', { 'README.md': 'shop, again\n' });
    repo.tag('release-41');
    pool[4] = 'export const max = 5;';
    pool.splice(12, 1, 'export const idle = 5000;', 'export const evict = true;');
    repo.commit('pool: smaller', { 'src/pool.ts': `${pool.join('\n')}\n` });
    repo.commit('drop old sql, add [weird](x).ts', { 'db/old.sql': null, 'src/[weird](x).ts': 'a\nb\n' });
    r42 = repo.rev('HEAD');
    repo.tag('release-42', { message: 'Deploy 42' });
    untagged = repo.commit('hotfix, never tagged', { 'src/pool.ts': `${[...pool, 'hotfix'].join('\n')}\n` });
    const loc = await findRepository(repo.dir, { env: scratch.env });
    assert.ok(loc);
    git = new GitRepository(loc, { env: scratch.env });
  });
  after(() => {
    git.dispose();
    scratch.cleanup();
  });

  it('lists the files and new lines a deploy shipped since the deploy before it, with permalinks at its commit', async () => {
    const [read] = await readSuspectDeployFiles([git], [{ ref: 'release-42', sha: r42.slice(0, 7) }], SETTINGS);
    assert.ok(read?.files, JSON.stringify(read));
    assert.equal(read.sha, r42.slice(0, 7), 'keyed by the sha the event named');
    assert.equal(read.comparedWith, undefined);
    const byPath = new Map(read.files.map((f) => [f.path, f]));
    assert.deepEqual([...byPath.keys()].sort(), ['db/old.sql', 'src/[weird](x).ts', 'src/pool.ts'], 'README changed in release-41, not here');
    assert.deepEqual(byPath.get('src/pool.ts')?.ranges, [
      { startLine: 5, endLine: 5, url: `https://github.com/acme/shop/blob/${r42}/src/pool.ts#L5` },
      { startLine: 13, endLine: 14, url: `https://github.com/acme/shop/blob/${r42}/src/pool.ts#L13-L14` },
    ]);
    assert.equal(byPath.get('db/old.sql')?.status, 'deleted');
    assert.deepEqual(byPath.get('db/old.sql')?.ranges, []);
    assert.equal(byPath.get('src/[weird](x).ts')?.status, 'added');
    assert.match(byPath.get('src/[weird](x).ts')?.ranges[0]?.url ?? '', /\/src\/%5Bweird%5D\(x\)\.ts#L1-L2$/);
  });

  it('a commit that is no tagged deploy is compared with its parent, and says so', async () => {
    const [read] = await readSuspectDeployFiles([git], [{ ref: 'hotfix', sha: untagged }], SETTINGS);
    assert.match(read?.comparedWith ?? '', /^its parent commit [0-9a-f]{7} \(the deploy before it is not among the repository's deploys\)$/);
    assert.deepEqual(read?.files?.map((f) => [f.path, f.ranges.map((r) => [r.startLine, r.endLine])]), [['src/pool.ts', [[22, 22]]]]);
  });

  it('never throws: a commit no repository has, or no repository at all, is unreadable with why', async () => {
    const missing = 'deadbeef'.repeat(5);
    const [gone] = await readSuspectDeployFiles([git], [{ ref: 'release-99', sha: missing }], SETTINGS);
    assert.equal(gone?.files, undefined);
    assert.match(gone?.unreadable ?? '', /^commit deadbee \(release-99\) is in none of the workspace's repositories \(1 looked in\)/);
    const [none] = await readSuspectDeployFiles([], [{ ref: 'release-42', sha: r42 }], SETTINGS);
    assert.equal(none?.unreadable, 'no git repository is open in this workspace');
  });

  it('reads a deploy flagged twice once', async () => {
    const read = await readSuspectDeployFiles([git], [{ ref: 'release-42', sha: r42 }, { ref: 'release-42', sha: r42 }], SETTINGS);
    assert.equal(read.length, 1);
  });
});
