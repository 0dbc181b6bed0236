import * as assert from 'node:assert/strict';
import { parseRemoteUrl } from '../../../src/git/permalink';
import { isNewIssueUrl, MAX_ISSUE_URL_LENGTH, newIssueUrl, TRUNCATION_NOTE } from '../../../src/git/newIssueUrl';

const remote = (url: string) => {
  const r = parseRemoteUrl(url);
  assert.ok(r, url);
  return r;
};
/** The query of a URL as the forge's form reads it. */
const query = (url: string) => Object.fromEntries(new URL(url).searchParams);

const ISSUE = { title: 'Check the image exists before rollback', body: 'Follow-up of **INC-7**\n\n- **Due:** 2026-11-25' };

describe('newIssueUrl', () => {
  it('GitHub: /issues/new with title and body, from an ssh remote', () => {
    const link = newIssueUrl(remote('git@github.com:acme/shop.git'), 'github', ISSUE);
    assert.equal(link.url.split('?')[0], 'https://github.com/acme/shop/issues/new');
    assert.deepEqual(query(link.url), { title: ISSUE.title, body: ISSUE.body });
    assert.deepEqual([link.prefilled, link.truncated], [true, false]);
  });

  it('GitLab: /-/issues/new with issue[title] and issue[description], subgroups and a self-hosted host with its port', () => {
    const com = newIssueUrl(remote('https://gitlab.com/acme/platform/shop.git'), 'gitlab', ISSUE);
    assert.equal(com.url.split('?')[0], 'https://gitlab.com/acme/platform/shop/-/issues/new');
    assert.deepEqual(query(com.url), { 'issue[title]': ISSUE.title, 'issue[description]': ISSUE.body });
    assert.match(com.url, /\?issue%5Btitle%5D=.*&issue%5Bdescription%5D=/, 'the brackets are encoded');
    // Self-hosted: the host says nothing of GitLab, so the caller names the forge.
    const own = newIssueUrl(remote('https://git.corp.example:8443/payments/shop.git'), 'gitlab', ISSUE);
    assert.equal(own.url.split('?')[0], 'https://git.corp.example:8443/payments/shop/-/issues/new');
    assert.equal(parseRemoteUrl('ssh://git@gitlab.corp.example:2222/payments/shop.git')?.kind, 'gitlab');
    assert.equal(newIssueUrl(remote('ssh://git@gitlab.corp.example:2222/payments/shop.git'), 'gitlab', ISSUE).url.split('?')[0],
      'https://gitlab.corp.example/payments/shop/-/issues/new', 'an ssh port is not the web port');
  });

  it('Bitbucket Cloud: the new-issue page without prefill (its form takes none)', () => {
    const link = newIssueUrl(remote('git@bitbucket.org:acme/shop.git'), 'bitbucket', ISSUE);
    assert.deepEqual(link, { url: 'https://bitbucket.org/acme/shop/issues/new', prefilled: false, truncated: false });
  });

  it('encodes what would end or change the query: & = # + % ? spaces, newlines, quotes and non-ASCII round-trip', () => {
    const tricky = { title: 'Fix a&b=c #1 + 100% ? «ünïcode» 🚒', body: 'line 1\r\nline 2 & more=#frag\n`code` "quoted" \'single\'' };
    for (const forge of ['github', 'gitlab'] as const) {
      const link = newIssueUrl(remote('https://github.com/acme/shop'), forge, tricky);
      const q = query(link.url);
      assert.equal(q[forge === 'github' ? 'title' : 'issue[title]'], tricky.title);
      assert.equal(q[forge === 'github' ? 'body' : 'issue[description]'], tricky.body);
      assert.ok(!new URL(link.url).hash, 'no # leaks into a fragment');
      assert.doesNotMatch(link.url, /[ \n"<>]/);
    }
  });

  it('a long title is cut to 255 and kept to one line', () => {
    const link = newIssueUrl(remote('https://github.com/acme/shop'), 'github', { title: `${'x'.repeat(300)}\nsecond`, body: '' });
    const title = query(link.url)['title'] as string;
    assert.equal([...title].length, 255);
    assert.ok(title.endsWith('…'));
  });

  it('a body too long for a URL is cut at a line, ends saying so, and the URL stays within the limit', () => {
    const lines = Array.from({ length: 400 }, (_, i) => `- Fact ${i}: the gateway returned 502 for tenant ${i} — ünïcode & = #`);
    const body = lines.join('\n');
    const link = newIssueUrl(remote('https://github.com/acme/shop'), 'github', { title: 'Long', body });
    assert.ok(link.url.length <= MAX_ISSUE_URL_LENGTH, `${link.url.length} characters`);
    assert.equal(link.truncated, true);
    const kept = query(link.url)['body'] as string;
    assert.ok(kept.endsWith(TRUNCATION_NOTE));
    const start = kept.slice(0, -TRUNCATION_NOTE.length);
    assert.ok(body.startsWith(start), 'a prefix of the body');
    assert.ok(lines.includes(start.split('\n').at(-1) as string), 'the last kept line is whole');
    assert.ok(link.url.length > MAX_ISSUE_URL_LENGTH - 400, 'it keeps as much as fits, not a token part');
  });

  it('cutting never splits an emoji (a surrogate pair) and holds for a tiny limit', () => {
    const body = '🚒'.repeat(3000);
    const link = newIssueUrl(remote('https://github.com/acme/shop'), 'github', { title: 't', body }, 2000);
    assert.ok(link.url.length <= 2000);
    assert.doesNotThrow(() => decodeURIComponent(link.url.split('body=')[1] as string), 'valid UTF-8: no half pair');
    const tiny = newIssueUrl(remote('https://github.com/acme/shop'), 'github', { title: 't', body }, 60);
    assert.equal(query(tiny.url)['body'], '');
  });

  it('tells a new-issue page from a filed issue', () => {
    assert.equal(isNewIssueUrl('https://github.com/acme/shop/issues/new?title=x'), true);
    assert.equal(isNewIssueUrl('https://gitlab.com/a/b/-/issues/new?issue%5Btitle%5D=x'), true);
    assert.equal(isNewIssueUrl('https://bitbucket.org/acme/shop/issues/new'), true);
    assert.equal(isNewIssueUrl('https://github.com/acme/shop/issues/42'), false);
    assert.equal(isNewIssueUrl('https://github.com/acme/newsletter/issues/7?q=issues/new'), false);
    assert.equal(isNewIssueUrl('not a url'), false);
  });
});
