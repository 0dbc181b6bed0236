import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  isSafeRevision,
  isValidBranchName,
  isValidRefFormat,
  isValidRemoteName,
  isValidTagPattern,
  toRefComponent,
} from '../../../src/git/refName';

const CASES = [
  'refs/heads/main',
  'refs/tags/deploy/2024-05-01',
  'refs/tags/v1.2.3',
  'main',
  'refs/heads/a..b',
  'refs/heads/.hidden',
  'refs/heads/x.lock',
  'refs/heads/x.lock/y',
  'refs/heads/ends.',
  'refs/heads/ends/',
  '/refs/heads/x',
  'refs//heads/x',
  'refs/heads/sp ace',
  'refs/heads/ti~lde',
  'refs/heads/ca^ret',
  'refs/heads/co:lon',
  'refs/heads/q?',
  'refs/heads/st*r',
  'refs/heads/br[acket',
  'refs/heads/back\\slash',
  'refs/heads/at@{brace',
  '@',
  'refs/heads/@',
  'refs/heads/new\nline',
  'refs/heads/tab\there',
  'refs/heads/del\x7f',
  'refs/heads/semi;colon',
  'refs/heads/$(touch pwned)',
  'refs/heads/$(id)',
  'refs/heads/`id`',
  'refs/heads/--upload-pack=x',
  'refs/heads/-dash',
  'refs/heads/ünïcode',
  'refs/heads/a/.b',
  'refs/heads/a.b',
  'refs/heads/a@b',
  '',
];

function gitSays(name: string, onelevel: boolean): boolean {
  const args = ['check-ref-format', ...(onelevel ? ['--allow-onelevel'] : []), name];
  return spawnSync('git', args, { stdio: 'ignore' }).status === 0;
}

describe('git/refName', () => {
  it('agrees with `git check-ref-format` on every case, with and without --allow-onelevel', () => {
    for (const name of CASES) {
      for (const onelevel of [false, true]) {
        assert.equal(isValidRefFormat(name, { allowOneLevel: onelevel }), gitSays(name, onelevel), `${JSON.stringify(name)} onelevel=${onelevel}`);
      }
    }
  });

  it('never accepts a branch, revision or remote that could be read as an option or holds a newline', () => {
    for (const hostile of ['--upload-pack=touch x', '-b', 'main\nrm', '$(touch x) y', 'a b', 'x;y z', '`id` y', 'HEAD~1', 'a..b', 'x:y']) {
      assert.equal(isValidBranchName(hostile), false, hostile);
      assert.equal(isSafeRevision(hostile), false, hostile);
      assert.equal(isValidRemoteName(hostile), false, hostile);
    }
    assert.equal(isValidBranchName('HEAD'), false);
    assert.equal(isSafeRevision('deploy/42'), true);
    assert.equal(isSafeRevision('0123abcd'), true);
    assert.equal(isValidRemoteName('origin'), true);
    assert.equal(isValidRemoteName('up/stream'), false);
  });

  it('accepts the usual tag globs and rejects ones that could not name tags', () => {
    for (const ok of ['deploy/*', 'release-*', 'v*', 'v[0-9]*', 'prod/**', 'exact-tag']) assert.equal(isValidTagPattern(ok), true, ok);
    for (const bad of ['', '-x', '--upload-pack=*', 'a b*', 'x..*', 'a:b', 'x\n*', 'tag[', '/abs*']) assert.equal(isValidTagPattern(bad), false, bad);
  });

  it('turns free text into one safe ref component', () => {
    assert.equal(toRefComponent('deploy/2024-05-01'), 'deploy-2024-05-01');
    assert.equal(toRefComponent('..-$(id)`x`;y\n'), 'id-x-y');
    assert.equal(toRefComponent('v1.lock'), 'v1');
    assert.equal(toRefComponent('////'), 'x');
    assert.ok(isValidBranchName(`rollback/INC-1-${toRefComponent('--upload-pack=x')}`));
  });
});
