/**
 * A prefilled "new issue" page on the repository's forge, from its remote: no token, no API call — the responder's
 * browser session files it. Pure: no git, no network.
 */
import { repositoryWebUrl, type ParsedRemote } from './permalink';

/** The forges whose new-issue page we know. */
export type Forge = 'github' | 'gitlab' | 'bitbucket';

/**
 * The longest URL we open. Browsers take far longer ones (Chromium 2 MB), but the forges' front ends do not:
 * nginx (GitLab's default) refuses a request line over 8 KiB with 414, and GitHub answers very long new-issue
 * URLs with an error page. 8,000 characters leaves room for the request line's method and protocol.
 */
export const MAX_ISSUE_URL_LENGTH = 8000;

/** GitHub's limit on an issue title; GitLab's is 255. A longer title is cut rather than refused by the form. */
const MAX_TITLE = 255;

export interface NewIssueLink {
  /** The page to open. */
  readonly url: string;
  /** The title and body are in the URL (false for Bitbucket Cloud: its form ignores them, so they go on the clipboard). */
  readonly prefilled: boolean;
  /** The body was cut to keep the URL within the limit (it ends saying so). */
  readonly truncated: boolean;
}

/** What stands at the end of a body cut to fit the link. */
export const TRUNCATION_NOTE = '\n\n… (cut to fit the link: the whole text is on the clipboard)';

/**
 * The new-issue page of `remote` on `forge`, prefilled with `title` and `body` where the forge allows:
 * GitHub `/issues/new?title=&body=` (also GitHub Enterprise), GitLab `/-/issues/new?issue[title]=&issue[description]=`
 * (gitlab.com or self-hosted), Bitbucket Cloud `/issues/new` without prefill (Atlassian declined prefill parameters:
 * "pass info via url", bitbucket.org/site/master issue 6209, Won't Fix). The body is cut at a line where it can be,
 * so the whole URL stays within `maxLength`.
 */
export function newIssueUrl(remote: ParsedRemote, forge: Forge, issue: { title: string; body: string }, maxLength = MAX_ISSUE_URL_LENGTH): NewIssueLink {
  const base = repositoryWebUrl(remote);
  if (forge === 'bitbucket') return { url: `${base}/issues/new`, prefilled: false, truncated: false };
  const [page, titleKey, bodyKey] = forge === 'gitlab'
    ? [`${base}/-/issues/new`, 'issue[title]', 'issue[description]']
    : [`${base}/issues/new`, 'title', 'body'];
  const title = cut(issue.title.replace(/\s+/g, ' ').trim(), MAX_TITLE);
  const head = `${page}?${encodeURIComponent(titleKey)}=${encodeURIComponent(title)}&${encodeURIComponent(bodyKey)}=`;
  const whole = encodeURIComponent(issue.body);
  if (head.length + whole.length <= maxLength) return { url: head + whole, prefilled: true, truncated: false };
  const fitted = fitBody(issue.body, maxLength - head.length);
  return { url: head + encodeURIComponent(fitted), prefilled: true, truncated: true };
}

/** Whether `url` is a new-issue page (a draft nobody may have filed) rather than an issue. */
export function isNewIssueUrl(url: string): boolean {
  try {
    return /\/issues\/new\/?$/.test(new URL(url).pathname);
  } catch {
    return false;
  }
}

/**
 * The longest start of `body` that, with the truncation note, encodes to at most `budget` characters; cut at the
 * last line break when that keeps most of it, so no line (or Markdown link) is left half.
 */
function fitBody(body: string, budget: number): string {
  const chars = [...body];
  const note = encodeURIComponent(TRUNCATION_NOTE).length;
  if (budget <= note) return '';
  // Binary search on code points (a cut never splits a surrogate pair); encoded length grows with the prefix.
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (encodeURIComponent(chars.slice(0, mid).join('')).length + note <= budget) lo = mid;
    else hi = mid - 1;
  }
  let kept = chars.slice(0, lo).join('');
  const line = kept.lastIndexOf('\n');
  if (line > kept.length / 2) kept = kept.slice(0, line);
  return `${kept.trimEnd()}${TRUNCATION_NOTE}`;
}

function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
