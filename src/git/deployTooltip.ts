import type { CommitSummary } from './deployCommits';
import type { Deploy } from './deployDiscovery';

// Every ASCII punctuation character: CommonMark lets each be escaped, and escaping all of them leaves no link,
// image, autolink (`https\:\/\/…`), emphasis, HTML, entity or `$(icon)` syntax for repository text to form.
const PUNCTUATION = /[!-/:-@[-`{-~]/g;
// Bidirectional overrides and isolates can make a tag name read as something else; line breaks would start a
// new Markdown block.
const UNSAFE_CHARS = /[\u202A-\u202E\u2066-\u2069]/g;
const LINE_BREAKS = /[\r\n\u2028\u2029]+/g;

/**
 * `text` from a repository (a tag name, a commit subject, an author) as literal Markdown text: shown exactly as
 * written, never as a link, an image that loads a URL, or formatting. One line. Pure.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(UNSAFE_CHARS, '').replace(LINE_BREAKS, ' ').replace(PUNCTUATION, '\\$&');
}

/**
 * The Markdown of a deploy's tooltip: label, subject, time, commit id and, once read, the commits it shipped.
 * Every value from git is escaped; `time` is the caller's formatted date (escaped too). Pure.
 */
export function deployTooltipMarkdown(
  deploy: Pick<Deploy, 'label' | 'subject' | 'sha' | 'previous'>,
  time: string,
  shipped?: { commits: readonly CommitSummary[]; truncated: boolean },
): string {
  const head = `**${escapeMarkdown(deploy.label)}** — ${escapeMarkdown(deploy.subject)}`;
  const since = deploy.previous ? ` · since ${escapeMarkdown(deploy.previous.label)}` : '';
  const meta = `${escapeMarkdown(time)} · \`${deploy.sha.slice(0, 10).replace(/[^0-9a-f]/g, '')}\`${since}`;
  if (!shipped) return `${head}\n\n${meta}\n\n_Hover again for the commits…_`;
  const lines = shipped.commits.map((c) => `- \`${c.sha.slice(0, 7).replace(/[^0-9a-f]/g, '')}\` ${escapeMarkdown(c.subject)} — ${escapeMarkdown(c.author.name)}`);
  if (shipped.truncated) lines.push('- …');
  return `${head}\n\n${meta}\n\n${lines.join('\n')}${lines.length ? '\n' : ''}`;
}
