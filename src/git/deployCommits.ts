import type { Deploy, GitIdentity } from './deployDiscovery';
import type { GitRunner } from './gitRunner';
import { assertSafeRevision } from './refName';

/** A commit a deploy shipped. */
export interface CommitSummary {
  sha: string;
  parents: string[];
  author: GitIdentity;
  /** Author date, ISO-8601 UTC. */
  time: string;
  subject: string;
}

export interface CommitListing {
  commits: CommitSummary[];
  /** More commits exist than `limit`. */
  truncated: boolean;
}

const FORMAT = ['%H', '%P', '%an', '%ae', '%at', '%s'].join('%x00');

/**
 * The commits in `to` but not in `from` (`git log from..to`), newest first, at most `limit` (default 500).
 * `from` undefined lists the history of `to`.
 */
export async function listCommitsBetween(
  runner: GitRunner,
  from: string | undefined,
  to: string,
  options: { limit?: number; firstParent?: boolean; signal?: AbortSignal } = {},
): Promise<CommitListing> {
  assertSafeRevision(to, 'commit');
  if (from !== undefined) assertSafeRevision(from, 'commit');
  const limit = Math.max(1, options.limit ?? 500);
  const args = ['log', `--max-count=${limit + 1}`, `--format=${FORMAT}`];
  if (options.firstParent) args.push('--first-parent');
  args.push('--end-of-options', to);
  if (from !== undefined) args.push(`^${from}`);
  args.push('--');
  const out = await runner.exec(args, options.signal ? { signal: options.signal } : {});
  const commits = parseCommitLines(out);
  const truncated = commits.length > limit;
  return { commits: commits.slice(0, limit), truncated };
}

/** The commits a deploy shipped since the previous deploy (lazily, when the deploy is expanded). */
export function listDeployCommits(
  runner: GitRunner,
  deploy: Pick<Deploy, 'sha' | 'previous'>,
  options: { limit?: number; signal?: AbortSignal } = {},
): Promise<CommitListing> {
  return listCommitsBetween(runner, deploy.previous?.sha, deploy.sha, options);
}

/** Parse log lines in {@link FORMAT}; pure. */
export function parseCommitLines(out: string): CommitSummary[] {
  const commits: CommitSummary[] = [];
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const [sha = '', parents = '', an = '', ae = '', at = '0', subject = ''] = line.split('\0');
    if (!/^[0-9a-f]{40,64}$/.test(sha)) continue;
    commits.push({
      sha,
      parents: parents === '' ? [] : parents.split(' '),
      author: { name: an, email: ae },
      time: new Date(Number(at) * 1000).toISOString(),
      subject,
    });
  }
  return commits;
}
