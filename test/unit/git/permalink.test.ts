import assert from 'node:assert/strict';
import { buildPermalink, parseRemoteUrl } from '../../../src/git/permalink';

const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('git/permalink', () => {
  it('builds GitHub links from every remote form, credentials stripped', () => {
    for (const url of [
      'git@github.com:acme/shop.git', 'https://github.com/acme/shop.git', 'https://github.com/acme/shop',
      'https://user:secret@github.com/acme/shop.git', 'ssh://git@github.com/acme/shop.git', 'ssh://git@ssh.github.com:443/acme/shop.git',
      'git://github.com/acme/shop.git',
    ]) {
      assert.equal(buildPermalink(url, SHA, 'src/checkout.ts', 2, 3), `https://github.com/acme/shop/blob/${SHA}/src/checkout.ts#L2-L3`, url);
    }
    assert.equal(buildPermalink('git@github.com:acme/shop.git', SHA, 'a.ts', 5, 5), `https://github.com/acme/shop/blob/${SHA}/a.ts#L5`);
  });

  it('builds GitLab (with subgroups) and Bitbucket links', () => {
    assert.equal(buildPermalink('git@gitlab.com:acme/team/shop.git', SHA, 'src/a.ts', 1, 4), `https://gitlab.com/acme/team/shop/-/blob/${SHA}/src/a.ts#L1-4`);
    assert.equal(buildPermalink('https://bitbucket.org/acme/shop.git', SHA, 'src/a.ts', 1, 4), `https://bitbucket.org/acme/shop/src/${SHA}/src/a.ts#lines-1:4`);
  });

  it('falls back to the /blob/ form for a self-hosted forge, and encodes odd file names', () => {
    assert.equal(buildPermalink('git@git.example.com:ops/deploy.git', SHA, 'dir/a b#c.ts', 3, 3), `https://git.example.com/ops/deploy/blob/${SHA}/dir/a%20b%23c.ts#L3`);
  });

  it('gives no link for local remotes or a bad commit', () => {
    assert.equal(buildPermalink('/srv/git/shop.git', SHA, 'a', 1, 1), undefined);
    assert.equal(buildPermalink('file:///srv/git/shop.git', SHA, 'a', 1, 1), undefined);
    assert.equal(buildPermalink('C:\\repos\\shop', SHA, 'a', 1, 1), undefined);
    assert.equal(buildPermalink('git@github.com:acme/shop.git', 'HEAD; rm -rf /', 'a', 1, 1), undefined);
    assert.equal(parseRemoteUrl('https://github.com/'), undefined, 'no repository path');
  });

  it('never leaks credentials, keeps an https port, links ssh remotes over https without the ssh port', () => {
    const withToken = buildPermalink('https://oauth2:glpat-SECRET@gitlab.example.com:8443/infra/platform/api.git', SHA, 'a.ts', 7);
    assert.equal(withToken, `https://gitlab.example.com:8443/infra/platform/api/-/blob/${SHA}/a.ts#L7`);
    assert.doesNotMatch(withToken ?? '', /SECRET|oauth2/);
    assert.equal(buildPermalink('ssh://git@gitlab.com:2222/acme/shop.git', SHA, 'a.ts', 1, 2), `https://gitlab.com/acme/shop/-/blob/${SHA}/a.ts#L1-2`);
    assert.equal(buildPermalink('http://github.internal/acme/shop', SHA, 'a.ts', 1, 1), `http://github.internal/acme/shop/blob/${SHA}/a.ts#L1`);
    assert.equal(buildPermalink('git@altssh.bitbucket.org:acme/shop.git', SHA, 'a.ts', 9, 9), `https://bitbucket.org/acme/shop/src/${SHA}/a.ts#lines-9`);
    assert.deepEqual(parseRemoteUrl('https://u:p@github.com/acme/shop.git/'), { host: 'github.com', path: 'acme/shop', kind: 'github', scheme: 'https' });
  });

  it('lets a caller say which forge an unrecognised host is', () => {
    assert.equal(buildPermalink('git@code.example.com:team/app.git', SHA, 'x.go', 3, 4, { kind: 'gitlab' }), `https://code.example.com/team/app/-/blob/${SHA}/x.go#L3-4`);
  });

  it('refuses bad line ranges, path traversal and hostile hosts', () => {
    const gh = 'git@github.com:acme/shop.git';
    assert.equal(buildPermalink(gh, SHA, 'a.ts', 0, 1), undefined);
    assert.equal(buildPermalink(gh, SHA, 'a.ts', 5, 4), undefined);
    assert.equal(buildPermalink(gh, SHA, 'a.ts', 1.5, 2), undefined);
    assert.equal(buildPermalink(gh, SHA, '../etc/passwd', 1, 1), undefined);
    assert.equal(buildPermalink(gh, SHA, 'a//b', 1, 1), undefined);
    assert.equal(parseRemoteUrl('https://evil.com\\@github.com/a/b'), undefined);
    assert.equal(parseRemoteUrl('git@host name:a/b'), undefined);
    assert.equal(parseRemoteUrl('ext::sh -c touch% /tmp/pwned'), undefined);
    assert.equal(parseRemoteUrl('git@github.com:acme/../shop'), undefined);
  });
});
