import type { DeployFileTouch, SuspectDeployFiles } from '../core/postmortem';
import type { DeploySettings } from './deploySettings';
import type { GitRepository } from './gitRepository';
import { buildPermalink } from './permalink';

/** A flagged deploy as its `deploy.flagged` event names it. */
export interface FlaggedRef {
  readonly ref: string;
  /** 7–64 hex digits: maybe abbreviated. */
  readonly sha: string;
}

/**
 * For the postmortem's "Where the incident touched the code": the files and new lines each suspect deploy changed,
 * with permalinks to those lines at the deploy's commit. The deploy is compared with the deploy before it (the
 * repository's deploy list, `settings`); when the list does not hold it, with its parent commit, and says so. Never
 * throws: what git cannot answer (no repository, a commit this clone lacks, a git error) becomes `unreadable` with
 * why, so the postmortem is still written.
 */
export async function readSuspectDeployFiles(
  repositories: readonly GitRepository[],
  flagged: readonly FlaggedRef[],
  settings: DeploySettings & { readonly limit?: number },
): Promise<SuspectDeployFiles[]> {
  const out: SuspectDeployFiles[] = [];
  for (const d of flagged) {
    if (out.some((o) => o.sha === d.sha)) continue;
    out.push(await readOne(repositories, d, settings).catch((error: unknown) => ({ sha: d.sha, unreadable: `git failed: ${firstLine(error)}` })));
  }
  return out;
}

async function readOne(repositories: readonly GitRepository[], d: FlaggedRef, settings: DeploySettings & { readonly limit?: number }): Promise<SuspectDeployFiles> {
  const short = d.sha.slice(0, 7);
  if (repositories.length === 0) return { sha: d.sha, unreadable: 'no git repository is open in this workspace' };
  if (!/^[0-9a-f]{7,64}$/.test(d.sha)) return { sha: d.sha, unreadable: `${JSON.stringify(d.sha)} is not a commit id` };
  for (const repo of repositories) {
    const full = await resolveCommit(repo, d.sha);
    if (!full) continue;
    const list = await repo.listDeploys(settings, settings.limit ? { limit: settings.limit } : {}).catch(() => undefined);
    const deploy = list?.deploys.find((x) => x.sha === full);
    let previous: { sha: string } | undefined = deploy?.previous;
    let comparedWith: string | undefined;
    if (!deploy) {
      const parent = await resolveCommit(repo, `${full}^`);
      previous = parent ? { sha: parent } : undefined;
      comparedWith = parent
        ? `its parent commit ${parent.slice(0, 7)} (the deploy before it is not among the repository's deploys)`
        : 'nothing (a first commit, and not among the repository\'s deploys)';
    } else if (!deploy.previous) {
      comparedWith = 'nothing (the oldest deploy listed)';
    }
    const range = { sha: full, ...(previous ? { previous: { id: '', ref: '', label: '', sha: previous.sha } } : {}) };
    const [listing, changes, remote] = await Promise.all([repo.listDeployFiles(range), repo.deployChanges(range), repo.remote().catch(() => undefined)]);
    const files: DeployFileTouch[] = listing.files.filter((f) => !f.submodule).map((f) => {
      const hunks = f.status === 'deleted' ? [] : changes.hunks.get(f.path) ?? [];
      const ranges = hunks.filter((h) => h.lines.length > 0).map((h) => {
        const startLine = h.start + 1;
        const endLine = h.start + h.lines.length;
        const url = remote ? buildPermalink(remote.url, full, f.path, startLine, endLine) : undefined;
        return url ? { startLine, endLine, url } : { startLine, endLine };
      });
      return { path: f.path, status: f.status, ...(f.oldPath ? { oldPath: f.oldPath } : {}), ...(f.binary ? { binary: true } : {}), ranges };
    });
    return { sha: d.sha, files, ...(comparedWith ? { comparedWith } : {}) };
  }
  return { sha: d.sha, unreadable: `commit ${short} (${d.ref}) is in none of the workspace's repositories (${repositories.length} looked in): fetch it, or open the repository it was deployed from` };
}

/** The full commit id `rev` names in `repo`, or undefined when the repository does not have it. */
async function resolveCommit(repo: GitRepository, rev: string): Promise<string | undefined> {
  try {
    const out = await repo.read('resolve commit', (runner) => runner.exec(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]));
    const sha = out.trim();
    return /^[0-9a-f]{40,64}$/.test(sha) ? sha : undefined;
  } catch {
    return undefined;
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]?.slice(0, 300) ?? '';
}
