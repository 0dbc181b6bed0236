import * as fs from 'node:fs';
import * as path from 'node:path';
import { listCommitsBetween, parseCommitLines } from './deployCommits';
import { listChangedFiles } from './deployDiff';
import { GitError, isGitError } from './gitError';
import type { GitRunner } from './gitRunner';
import { assertSafeRevision, isHexSha, isValidBranchName, isValidRemoteName } from './refName';
import type { DeployPoint, RemoteBranchState, RollbackFacts, RollbackSettings, WorkTreeState } from './rollbackPlan';

export interface GatherOptions {
  settings: RollbackSettings;
  /** The deploy branch setting (revert base). */
  deployBranch?: string | undefined;
  signal?: AbortSignal;
}

/**
 * Read from the repository what {@link planRollback} needs for `deploy` → `previous`: the commits and files
 * undone, the work tree state, the deploy branch tip, and for the branch strategy the remote branch's sha
 * (`ls-remote`, the one network call). Nothing is changed.
 */
export async function gatherRollbackFacts(runner: GitRunner, deploy: DeployPoint, previous: DeployPoint | undefined, options: GatherOptions): Promise<RollbackFacts> {
  const exec = (args: string[]) => runner.exec(args, options.signal ? { signal: options.signal } : {});
  const sig = options.signal ? { signal: options.signal } : {};
  assertSafeRevision(deploy.sha, 'deploy commit');
  if (previous) assertSafeRevision(previous.sha, 'previous deploy commit');
  const strategy = options.settings.strategy;

  const facts: RollbackFacts = { deploy, previous, commits: [], commitsTruncated: false, files: [], previousIsAncestor: false };
  const [commits, files, trees, remotes] = await Promise.all([
    listCommitsBetween(runner, previous?.sha, deploy.sha, { limit: 500, ...sig }),
    previous ? listChangedFiles(runner, previous.sha, deploy.sha, sig).then((d) => d.files) : Promise.resolve([]),
    // No --end-of-options: rev-parse without --verify echoes it (git 2.39); the ids are validated hex.
    exec(['rev-parse', `${deploy.sha}^{tree}`, ...(previous ? [`${previous.sha}^{tree}`] : [])]),
    exec(['remote']).then((s) => s.split('\n').filter((r) => r !== '')),
  ]);
  facts.commits = commits.commits;
  facts.commitsTruncated = commits.truncated;
  facts.files = files;
  facts.remotes = remotes;
  const [deployTree, previousTree] = trees.trim().split('\n');
  facts.deployTree = deployTree;
  facts.previousTree = previousTree;
  if (previous) facts.previousIsAncestor = await isAncestor(runner, previous.sha, deploy.sha, options.signal);

  if (strategy === 'revert') {
    facts.workTree = await readWorkTree(runner, options.signal);
  }
  if (strategy === 'revert' && previous) {
    const fp = await exec(['log', '--first-parent', '--format=%H%x00%P%x00%an%x00%ae%x00%at%x00%s', '--max-count=1001', '--end-of-options', deploy.sha, `^${previous.sha}`, '--']);
    facts.firstParentCommits = parseCommitLines(fp);
    const oldest = facts.firstParentCommits[facts.firstParentCommits.length - 1];
    facts.previousOnFirstParentLine = oldest ? oldest.parents[0] === previous.sha : undefined;
    facts.existingBranches = (await exec(['for-each-ref', '--format=%(refname)', 'refs/heads/rollback/', 'refs/remotes/']))
      .split('\n')
      .map((r) => r.replace(/^refs\/heads\//, '').replace(/^refs\/remotes\/[^/]+\//, ''))
      .filter((r) => r.startsWith('rollback/'));
    if (options.deployBranch) {
      const name = assertSafeRevision(options.deployBranch, 'deploy branch');
      try {
        const tip = (await exec(['rev-parse', '--verify', '--end-of-options', `${name}^{commit}`])).trim();
        const [notInTip, landed] = (await exec(['rev-list', '--count', '--left-right', '--end-of-options', `${deploy.sha}...${tip}`, '--'])).trim().split(/\s+/);
        facts.deployBranch = { name, sha: tip, containsDeploy: Number(notInTip) === 0, landedSince: Number(landed) };
      } catch (e) {
        if (!isGitError(e, 'RefNotFound')) throw e;
      }
    }
  }

  if (strategy === 'branch') {
    const env = options.settings.environmentBranch;
    const remote = options.settings.remote || 'origin';
    if (env && isValidBranchName(env) && isValidRemoteName(remote) && remotes.includes(remote)) {
      facts.remoteBranch = await readRemoteBranch(runner, remote, env, previous, options.signal);
    }
  }
  return facts;
}

/** `git ls-remote` for one branch, and what moving it back to `previous` would undo when we have its commit. */
export async function readRemoteBranch(
  runner: GitRunner,
  remote: string,
  branch: string,
  previous: DeployPoint | undefined,
  signal?: AbortSignal,
): Promise<RemoteBranchState> {
  const sig = signal ? { signal } : {};
  const out = await runner.exec(['ls-remote', '--end-of-options', remote, `refs/heads/${branch}`], sig);
  const line = out.split('\n').find((l) => l.endsWith(`\trefs/heads/${branch}`));
  const sha = line?.split('\t')[0];
  const state: RemoteBranchState = { remote, branch, sha: sha && isHexSha(sha) ? sha : undefined };
  if (state.sha && previous) {
    try {
      await runner.exec(['cat-file', '-e', '--end-of-options', `${state.sha}^{commit}`], sig);
      const [commits, diff] = await Promise.all([
        listCommitsBetween(runner, previous.sha, state.sha, { limit: 500, ...sig }),
        listChangedFiles(runner, previous.sha, state.sha, sig),
      ]);
      state.undoes = { commits: commits.commits, truncated: commits.truncated, files: diff.files };
    } catch (e) {
      if (!(e instanceof GitError) || e.code === 'Cancelled') throw e;
      // Not in this clone: the plan says so.
    }
  }
  return state;
}

/** Whether `ancestor` is an ancestor of (or equal to) `descendant`. */
export async function isAncestor(runner: GitRunner, ancestor: string, descendant: string, signal?: AbortSignal): Promise<boolean> {
  assertSafeRevision(ancestor);
  assertSafeRevision(descendant);
  // `rev-list --count` rather than `merge-base --is-ancestor`: same answer, and it always prints something
  // (simple-git waits an extra 50 ms for a process that prints nothing).
  const out = await runner.exec(['rev-list', '--count', '--end-of-options', ancestor, `^${descendant}`, '--'], signal ? { signal } : {});
  return out.trim() === '0';
}

/** Clean or not (tracked files only), which operation is in progress, current branch and HEAD. */
export async function readWorkTree(runner: GitRunner, signal?: AbortSignal): Promise<WorkTreeState> {
  const sig = signal ? { signal } : {};
  const [status, gitDir] = await Promise.all([
    // --branch guarantees a header line, so the output is never empty.
    runner.exec(['status', '--porcelain=v1', '-z', '--branch', '--untracked-files=no'], sig),
    runner.exec(['rev-parse', '--absolute-git-dir'], sig).then((s) => s.trim()),
  ]);
  const entries = status.split('\0').filter((e) => e !== '');
  const header = entries[0]?.startsWith('## ') ? (entries.shift() as string).slice(3) : '';
  const changedPaths: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as string;
    changedPaths.push(e.slice(3));
    if (e[0] === 'R' || e[0] === 'C') i++; // the rename source follows as its own entry
  }
  const state: WorkTreeState = { clean: changedPaths.length === 0, changedPaths };
  const markers: Array<[string, string]> = [
    ['MERGE_HEAD', 'merge'],
    ['REVERT_HEAD', 'revert'],
    ['CHERRY_PICK_HEAD', 'cherry-pick'],
    ['rebase-merge', 'rebase'],
    ['rebase-apply', 'rebase'],
    ['BISECT_LOG', 'bisect'],
  ];
  const inProgress = markers.find(([file]) => fs.existsSync(path.join(gitDir, file)));
  if (inProgress) state.operationInProgress = inProgress[1];
  // "## main...origin/main [ahead 1]", "## HEAD (no branch)", "## No commits yet on main"
  if (!header.startsWith('HEAD (no branch)') && !header.startsWith('No commits yet')) {
    const name = header.split('...')[0]?.split(' ')[0];
    if (name && isValidBranchName(name)) state.branch = name;
  }
  try {
    state.head = (await runner.exec(['rev-parse', '--verify', '--end-of-options', 'HEAD^{commit}'], sig)).trim();
  } catch (e) {
    if (!isGitError(e, 'RefNotFound')) throw e;
  }
  return state;
}
