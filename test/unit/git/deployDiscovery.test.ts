import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CommitDetailsCache, listDeploys, markIncidentWindow, parseParentLines, walkCounts, type Deploy } from '../../../src/git/deployDiscovery';
import { DEFAULT_DEPLOY_SETTINGS, validateDeploySettings } from '../../../src/git/deploySettings';
import { findRepositories } from '../../../src/git/repository';
import { isGitError } from '../../../src/git/gitError';
import { GitRunner } from '../../../src/git/gitRunner';
import { Scratch, TempRepo } from './gitFixture';

const tags = { sources: ['tags'] as const, tagPatterns: ['deploy/*', 'release-*', 'v*'] };

/** What `git rev-list --count prev..this` says for each listed deploy. */
function gitCounts(repo: TempRepo, deploys: Deploy[]): Array<number | undefined> {
  return deploys.map((d) => (d.previous ? Number(repo.git(['rev-list', '--count', d.sha, `^${d.previous.sha}`])) : undefined));
}

describe('git/deployDiscovery', () => {
  let scratch: Scratch;
  before(() => (scratch = new Scratch()));
  after(() => scratch.cleanup());

  describe('tags', () => {
    let repo: TempRepo;
    const sha: Record<string, string> = {};
    before(() => {
      repo = TempRepo.init(scratch, 'tags');
      sha.c1 = repo.commit('c1: init', { 'a.txt': '1\n' });
      repo.tag('deploy/1', { message: 'Deploy one' });
      sha.c2 = repo.commit('c2', { 'a.txt': '2\n' });
      sha.c3 = repo.commit('c3: fix', { 'b.txt': 'b\n' });
      repo.tag('deploy/2'); // lightweight: its time is the commit's
      sha.c4 = repo.commit('c4', { 'a.txt': '4\n' });
      repo.tag('release-3', { message: 'Release three\n\nbody' });
      sha.c5 = repo.commit('c5', { 'c.txt': 'c\n' });
      repo.tag('nightly-5'); // matches no pattern
      repo.tag('v1/not-one-level'); // `v*` does not cross `/`
      sha.c6 = repo.commit('c6: latest', { 'a.txt': '6\n' });
      repo.tag('v4', { message: 'v4' });
    });

    it('lists matching tags newest first with sha, time, author, subject and commit counts', async () => {
      const list = await listDeploys(repo.runner(), tags);
      assert.equal(list.emptyReason, undefined);
      assert.deepEqual(
        list.deploys.map((d) => [d.ref, d.sha, d.annotated, d.commitCount]),
        [
          ['v4', sha.c6, true, 2],
          ['release-3', sha.c4, true, 1],
          ['deploy/2', sha.c3, false, 2],
          ['deploy/1', sha.c1, true, undefined],
        ],
      );
      assert.deepEqual(list.deploys.map((d) => d.commitCount), gitCounts(repo, list.deploys).map((n, i) => (i === 3 ? undefined : n)));
      const [v4, release3, deploy2] = list.deploys as [Deploy, Deploy, Deploy];
      assert.equal(v4.subject, 'c6: latest');
      assert.equal(v4.tagSubject, 'v4');
      assert.deepEqual(v4.author, { name: 'Test User', email: 'test@example.com' });
      assert.deepEqual(v4.tagger, { name: 'Test User', email: 'test@example.com' });
      assert.equal(release3.tagSubject, 'Release three');
      assert.deepEqual(v4.previous, { id: 'tag:release-3', ref: 'release-3', sha: sha.c4, label: 'release-3' });
      // Lightweight: the commit date; annotated: the tagger date (one tick after its commit).
      assert.equal(deploy2.epochSeconds, Number(repo.git(['log', '-1', '--format=%ct', sha.c3 as string])));
      assert.equal(v4.epochSeconds, Number(repo.git(['log', '-1', '--format=%ct', sha.c6 as string])) + 60);
      assert.equal(v4.time, new Date(v4.epochSeconds * 1000).toISOString());
      assert.equal(deploy2.tagger, undefined);
      assert.equal(list.hasMore, false);
    });

    it('orders annotated tags by tagger date, not commit date', async () => {
      const r = TempRepo.init(scratch, 'tag-order');
      const a = r.commit('a');
      const b = r.commit('b');
      r.tag('deploy/b', { target: b }); // lightweight at b's commit time
      r.tag('deploy/a-late', { target: a, message: 'redeploy a', date: r.tick(3600) }); // an old commit deployed later
      const list = await listDeploys(r.runner(), tags);
      assert.deepEqual(list.deploys.map((d) => d.ref), ['deploy/a-late', 'deploy/b']);
      // Rolling back to an ancestor ships nothing new.
      assert.equal(list.deploys[0]?.commitCount, 0);
    });

    it('honours custom patterns', async () => {
      const list = await listDeploys(repo.runner(), { sources: ['tags'], tagPatterns: ['nightly-*', 'v*/**'] });
      // Both tags are on c5 with the same time: one deploy (first by name), the other tag as its alias.
      assert.deepEqual(list.deploys.map((d) => [d.ref, ...d.aliases]), [['nightly-5', 'v1/not-one-level']]);
    });

    it('limits the list, says there are more, and still counts the last shown deploy', async () => {
      const list = await listDeploys(repo.runner(), tags, { limit: 2 });
      assert.deepEqual(list.deploys.map((d) => [d.ref, d.commitCount, d.previous?.ref]), [
        ['v4', 2, 'release-3'],
        ['release-3', 1, 'deploy/2'],
      ]);
      assert.equal(list.hasMore, true);
    });

    it('keeps non-ASCII subjects and names intact', async () => {
      const r = TempRepo.init(scratch, 'unicode');
      r.git(['config', 'user.name', 'Zoë Ångström']);
      r.commit('一: first');
      r.tag('deploy/1');
      r.commit('Fix café crash – ü');
      r.tag('deploy/2', { message: 'Déploiement ✓' });
      const [d] = (await listDeploys(r.runner(), tags)).deploys;
      assert.equal(d?.subject, 'Fix café crash – ü');
      assert.equal(d?.tagSubject, 'Déploiement ✓');
      assert.equal(d?.author.name, 'Zoë Ångström');
    });

    it('shows tags of one commit once, with the others as aliases', async () => {
      const r = TempRepo.init(scratch, 'aliases');
      r.commit('a');
      r.tag('deploy/1');
      r.commit('b');
      r.tag('release-2', { message: 'r2' });
      r.tag('v2', { message: 'v2' });
      const list = await listDeploys(r.runner(), tags);
      assert.deepEqual(list.deploys.map((d) => [d.ref, d.aliases, d.commitCount]), [
        ['v2', ['release-2'], 1],
        ['deploy/1', [], undefined],
      ]);
    });
  });

  describe('deploy branch', () => {
    let repo: TempRepo;
    before(() => {
      repo = TempRepo.init(scratch, 'branch');
      repo.commit('base', { 'a.txt': 'a\n' });
      repo.git(['branch', 'production']);
      repo.commit('feature 1', { 'f1.txt': '1\n' });
      repo.commit('feature 2', { 'f2.txt': '2\n' });
      repo.git(['switch', '-q', 'production']);
      repo.merge('main', 'Deploy: merge main into production');
      repo.git(['switch', '-q', 'main']);
      repo.commit('feature 3', { 'f3.txt': '3\n' });
      repo.git(['switch', '-q', 'production']);
      repo.merge('main', 'Deploy: feature 3');
      repo.commit('hotfix directly on production', { 'a.txt': 'hot\n' });
      repo.git(['switch', '-q', 'main']);
    });

    it('lists first-parent commits of the deploy branch as deploys, with what each shipped', async () => {
      const list = await listDeploys(repo.runner(), { sources: ['branch'], tagPatterns: [], deployBranch: 'production' });
      assert.deepEqual(list.deploys.map((d) => [d.subject, d.commitCount]), [
        ['hotfix directly on production', 1],
        ['Deploy: feature 3', 2],
        ['Deploy: merge main into production', 3],
        ['base', undefined],
      ]);
      const first = list.deploys[0] as Deploy;
      assert.equal(first.source, 'branch');
      assert.equal(first.ref, first.sha);
      assert.equal(first.label, `production@${first.sha.slice(0, 8)}`);
      assert.deepEqual(list.deploys.slice(0, 3).map((d) => d.commitCount), gitCounts(repo, list.deploys).slice(0, 3));
    });

    it('merges both sources by time and shows a tagged branch commit once, as the tag', async () => {
      const r = TempRepo.init(scratch, 'both');
      r.commit('one');
      r.git(['branch', 'production']);
      r.git(['switch', '-q', 'production']);
      r.commit('two');
      r.tag('deploy/two', { message: 'two' });
      r.commit('three');
      const list = await listDeploys(r.runner(), validateDeploySettings({ tagPatterns: ['deploy/*'], deployBranch: 'production' }));
      assert.deepEqual(list.deploys.map((d) => [d.label.replace(/@.*/, '@'), d.commitCount]), [
        ['production@', 1],
        ['deploy/two', 1],
        ['production@', undefined],
      ]);
    });

    it('a missing deploy branch is a warning and a helpful empty state, not an error', async () => {
      const list = await listDeploys(repo.runner(), { sources: ['branch'], tagPatterns: [], deployBranch: 'nope' });
      assert.deepEqual(list.deploys, []);
      assert.match(list.warnings[0] ?? '', /Deploy branch "nope" was not found/);
      assert.match(list.emptyReason ?? '', /deploy branch "nope" does not exist/);
    });
  });

  it('counts exactly when history is not linear (a rollback re-deploy, a hotfix branch)', async () => {
    const r = TempRepo.init(scratch, 'nonlinear');
    const a = r.commit('a', { 'x.txt': 'a\n' });
    r.tag('deploy/01');
    const b = r.commit('b', { 'x.txt': 'b\n' });
    r.tag('deploy/02');
    r.tag('deploy/03', { target: a, message: 'roll back to a' });
    r.commit('c', { 'y.txt': 'c\n' });
    r.tag('deploy/04');
    r.commit('d', { 'y.txt': 'd\n' });
    r.tag('deploy/05');
    r.git(['switch', '-q', '-c', 'hotfix', b]);
    r.commit('hotfix', { 'z.txt': 'z\n' });
    r.tag('deploy/06');
    r.git(['switch', '-q', 'main']);
    r.merge('hotfix', 'merge hotfix');
    r.commit('e', { 'y.txt': 'e\n' });
    r.tag('deploy/07');
    const list = await listDeploys(r.runner(), tags);
    assert.deepEqual(list.deploys.map((d) => d.ref), ['deploy/07', 'deploy/06', 'deploy/05', 'deploy/04', 'deploy/03', 'deploy/02', 'deploy/01']);
    const expected = gitCounts(r, list.deploys);
    assert.deepEqual(list.deploys.map((d) => d.commitCount), expected);
    assert.deepEqual(expected, [4, 1, 1, 2, 0, 1, undefined]);
  });

  it('parses rev-list --parents output (roots, merges, no trailing newline)', () => {
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    const c = 'c'.repeat(40);
    assert.deepEqual([...parseParentLines(`${c} ${a} ${b}\n${b} ${a}\n${a}\n`)], [[c, [a, b]], [b, [a]], [a, []]]);
    assert.deepEqual([...parseParentLines(`${b} ${a}`)], [[b, [a]]]);
    assert.equal(parseParentLines('').size, 0);
  });

  it('reads commit authors of annotated tags once: a refresh finds them cached', async () => {
    const r = TempRepo.init(scratch, 'cache');
    r.commit('first');
    r.tag('deploy/1', { message: 'one' });
    r.commit('second');
    r.tag('deploy/2', { message: 'two' });
    const commitDetails = new CommitDetailsCache(); // the repository's own, as a GitRepository holds it
    const lines: string[] = [];
    const runner = r.runner({ log: (l) => lines.push(l) });
    const first = await listDeploys(runner, tags, { commitDetails });
    assert.equal(lines.filter((l) => l.startsWith('git log --no-walk')).length, 1);
    lines.length = 0;
    const again = await listDeploys(runner, tags, { commitDetails });
    assert.deepEqual(lines.filter((l) => l.startsWith('git log --no-walk')), []);
    assert.deepEqual(again.deploys.map((d) => d.subject), ['second', 'first']);
    assert.deepEqual(again, first);
  });

  it('walkCounts agrees with set arithmetic on a random DAG', () => {
    // Pure check of the graph walk against brute force, on a random history with out-of-order deploys.
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let round = 0; round < 30; round++) {
      const parents = new Map<string, string[]>();
      const all: string[] = [];
      for (let i = 0; i < 40; i++) {
        const ps = i === 0 ? [] : [all[i - 1 - rand(Math.min(i, 3))] as string];
        if (i > 2 && rand(4) === 0) ps.push(all[rand(i)] as string);
        const id = `c${i}`;
        parents.set(id, [...new Set(ps)]);
        all.push(id);
      }
      const reach = (s: string): Set<string> => {
        const out = new Set<string>();
        const st = [s];
        while (st.length) {
          const x = st.pop() as string;
          if (out.has(x)) continue;
          out.add(x);
          st.push(...(parents.get(x) ?? []));
        }
        return out;
      };
      const deploys = Array.from({ length: 8 }, () => all[rand(all.length)] as string);
      const boundary = deploys[deploys.length - 1] as string;
      const bReach = reach(boundary);
      const listed = new Map([...parents].filter(([k]) => !bReach.has(k) && deploys.slice(0, -1).some((d) => reach(d).has(k))));
      const counts = walkCounts(deploys, listed);
      counts.forEach((c, i) => {
        if (c === undefined) return; // left to git
        const mine = reach(deploys[i] as string);
        const prev = reach(deploys[i + 1] as string);
        assert.equal(c, [...mine].filter((x) => !prev.has(x)).length, `round ${round} deploy ${i}`);
      });
    }
  });

  it('a repository without deploys (or without commits) gives a helpful empty state', async () => {
    const r = TempRepo.init(scratch, 'empty');
    let list = await listDeploys(r.runner(), DEFAULT_DEPLOY_SETTINGS);
    assert.deepEqual(list.deploys, []);
    assert.match(list.emptyReason ?? '', /No deploys found: no tags match deploy\/\*/);
    r.commit('only commit');
    r.tag('not-a-deploy');
    list = await listDeploys(r.runner(), DEFAULT_DEPLOY_SETTINGS);
    assert.deepEqual(list.deploys, []);
    assert.match(list.emptyReason ?? '', /incidentRoom\.deploys\.tagPatterns/);
    // Only settings that exist are named (package.json contributes.configuration).
    const settingsNamed = [...(list.emptyReason ?? '').matchAll(/incidentRoom\.[\w.]+\w/g)].map((m) => m[0]);
    const contributed = Object.keys((JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, unknown> } } }).contributes.configuration.properties);
    assert.ok(settingsNamed.length >= 2);
    assert.deepEqual(settingsNamed.filter((k) => !contributed.includes(k)), []);
  });

  it('a folder that is not a repository fails with NotARepository', async () => {
    const runner = new GitRunner({ cwd: scratch.dir('not-a-repo'), env: { ...scratch.env, GIT_CEILING_DIRECTORIES: scratch.root } });
    await assert.rejects(listDeploys(runner, DEFAULT_DEPLOY_SETTINGS), (e: unknown) => isGitError(e, 'NotARepository'));
  });

  it('multi-root: one entry per repository, each with its own deploys', async () => {
    const one = TempRepo.init(scratch, 'multi-one');
    one.commit('x');
    one.tag('deploy/one');
    const two = TempRepo.init(scratch, 'multi-two');
    two.commit('y');
    two.tag('v2');
    const sub = `${one.dir}/sub`;
    one.commit('sub', { 'sub/f.txt': 'f' });
    const plain = scratch.dir('multi-plain');
    const env = { ...scratch.env, GIT_CEILING_DIRECTORIES: scratch.root };
    const { repositories, notRepositories } = await findRepositories([one.dir, sub, two.dir, plain], { env });
    assert.deepEqual(repositories.map((r) => r.root), [one.dir, two.dir].map((d) => fs.realpathSync(d)));
    assert.deepEqual(notRepositories, [plain]);
    const lists = await Promise.all(repositories.map((loc) => listDeploys(new GitRunner({ cwd: loc.root, env }), tags)));
    assert.deepEqual(lists.map((l) => l.deploys.map((d) => d.ref)), [['deploy/one'], ['v2']]);
  });

  describe('validateDeploySettings', () => {
    it('keeps good values, drops hostile ones with a reason, falls back to defaults', () => {
      const s = validateDeploySettings({
        sources: ['tags', 'branch', 'bogus'],
        tagPatterns: ['deploy/*', '--upload-pack=x', 'a b', 'x\n*', 7],
        deployBranch: 'production;rm -rf /',
      });
      assert.deepEqual(s.tagPatterns, ['deploy/*']);
      assert.equal(s.deployBranch, undefined);
      assert.deepEqual(s.sources, ['tags']);
      assert.equal(s.problems.length, 7);
      assert.deepEqual(validateDeploySettings(undefined).tagPatterns, DEFAULT_DEPLOY_SETTINGS.tagPatterns);
      assert.deepEqual(validateDeploySettings({ deployBranch: 'production' }).sources, ['tags', 'branch']);
    });
  });

  describe('markIncidentWindow', () => {
    const at = (iso: string) => ({ epochSeconds: Date.parse(iso) / 1000 });
    const deploys = [at('2024-05-01T12:00:00Z'), at('2024-05-01T10:00:00Z'), at('2024-05-01T09:00:00Z'), at('2024-04-30T09:00:00Z')];
    it('marks the last deploy before detection and everything after it', () => {
      const marks = markIncidentWindow(deploys, '2024-05-01T11:00:00Z');
      assert.deepEqual(marks.map((m) => m.inWindow), [true, true, false, false]);
      assert.deepEqual(marks.map((m) => m.lastBeforeDetection), [false, true, false, false]);
      assert.deepEqual(marks.map((m) => m.afterDetection), [true, false, false, false]);
    });
    it('marks all when every deploy came after detection, none without a detection time', () => {
      assert.deepEqual(markIncidentWindow(deploys, '2024-01-01T00:00:00Z').map((m) => m.inWindow), [true, true, true, true]);
      assert.deepEqual(markIncidentWindow(deploys, undefined).map((m) => m.inWindow), [false, false, false, false]);
      assert.deepEqual(markIncidentWindow(deploys, 'garbage').map((m) => m.inWindow), [false, false, false, false]);
    });
  });
});
