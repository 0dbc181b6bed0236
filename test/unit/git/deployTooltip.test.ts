import * as assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { deployTooltipMarkdown, escapeMarkdown } from '../../../src/git/deployTooltip';

// A real CommonMark renderer (markdown-it, already installed with @vscode/vsce) at its most permissive: raw HTML
// on and bare URLs linked. What it renders as a link, an image or formatting, a Markdown hover could too.
interface MarkdownIt {
  render(src: string): string;
  renderInline(src: string): string;
}
const MarkdownItCtor = createRequire(__filename)('markdown-it') as new (options: object) => MarkdownIt;
const md = new MarkdownItCtor({ html: true, linkify: true });

const decode = (html: string): string =>
  html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

const HOSTILE = [
  '[Roll back now](https://evil.example/phish)',
  '![pixel](https://evil.example/track.png)',
  'see https://evil.example/login and www.evil.example',
  '<img src=x onerror=alert(1)> <a href="https://evil.example">x</a>',
  '**URGENT** _run_ `rm -rf` ~~old~~ # heading',
  '[ref]: https://evil.example/ref "t"',
  '&lt;script&gt; &#x26; $(alert) | a | b |',
  'deploy/\u202Egpj.exe',
];

describe('git/deployTooltip', () => {
  describe('escapeMarkdown', () => {
    for (const text of HOSTILE) {
      it(`renders ${JSON.stringify(text)} as plain text: no link, image, HTML or formatting`, () => {
        const html = md.renderInline(escapeMarkdown(text));
        assert.doesNotMatch(html, /<(a|img|strong|em|code|s|script|h1)\b/i, html);
      });
    }

    it('shows the text exactly as written (every ASCII punctuation character survives)', () => {
      let all = '';
      for (let c = 0x21; c <= 0x7e; c++) all += String.fromCharCode(c);
      for (const text of [all, 'fix: retry (again) on 5xx — #42 @kim', 'v1.2.3', 'release/2026-11-22_1', ...HOSTILE.slice(0, 7)]) {
        assert.equal(decode(md.renderInline(escapeMarkdown(text))), text);
      }
    });

    it('keeps one line and drops bidirectional overrides', () => {
      assert.equal(escapeMarkdown('a\nb\r\nc'), 'a b c');
      assert.equal(escapeMarkdown('deploy\u202Egpj.exe\u202C'), 'deploygpj\\.exe');
    });
  });

  describe('deployTooltipMarkdown', () => {
    const deploy = {
      label: '[release](https://evil.example/a)', subject: '![x](https://evil.example/t.png) ship it', sha: 'a'.repeat(40),
      previous: { id: 'tag:p', ref: 'p', sha: 'b'.repeat(40), label: '<img src=y>' },
    };

    it('escapes the label, subject and previous label of the first tooltip', () => {
      const html = md.render(deployTooltipMarkdown(deploy, '22/11/2026, 14:02:00'));
      assert.doesNotMatch(html, /<(a|img)\b/i, html);
      assert.match(html, /<strong>\[release\]\(https:\/\/evil\.example\/a\)<\/strong>/);
      assert.match(decode(html), /!\[x\]\(https:\/\/evil\.example\/t\.png\) ship it/);
    });

    it('escapes each commit subject and author of the resolved tooltip', () => {
      const commit = (subject: string, name: string) => ({ sha: 'c'.repeat(40), parents: [], author: { name, email: 'e@example.com' }, time: '2026-11-22T14:00:00.000Z', subject });
      const html = md.render(deployTooltipMarkdown(deploy, 'now', {
        commits: [commit('[docs](https://evil.example)', '**Mallory**'), commit('https://evil.example/x', '<b>Eve</b>')], truncated: true,
      }));
      assert.doesNotMatch(html, /<(a|img|b)\b/i, html);
      assert.equal((html.match(/<strong>/g) ?? []).length, 1, 'only the label is bold');
      assert.match(decode(html), /\*\*Mallory\*\*/);
      assert.match(html, /<li>…<\/li>/);
    });
  });
});
