import { isGitError } from './gitError';
import type { GitRunner } from './gitRunner';
import type { DeploySettings } from './deploySettings';
import { assertSafeRevision } from './refName';

/** A person as git records them. */
export interface GitIdentity {
  name: string;
  email: string;
}

/** One deploy: a tag matching the patterns, or a first-parent commit of the deploy branch. */
export interface Deploy {
  /** Stable key across refreshes: `tag:<name>` or `branch:<sha>`. */
  id: string;
  source: 'tag' | 'branch';
  /**
   * What to call it in git: the tag name (`deploy/42`), or the commit id for a deploy-branch commit (a branch
   * position has no name of its own). This is what `${ref}` stands for in a rollback command.
   */
  ref: string;
  /** What to show: the tag name, or `production@1a2b3c4d`. */
  label: string;
  /** The deployed commit. */
  sha: string;
  /** Annotated tag: the tag object id. */
  tagSha?: string;
  annotated: boolean;
  /** Tagger date for annotated tags, else the commit date (ISO-8601, UTC). */
  time: string;
  /** `time` in epoch seconds, for sorting and windows. */
  epochSeconds: number;
  /** The commit's author. */
  author: GitIdentity;
  /** Who made the annotated tag (usually who deployed). */
  tagger?: GitIdentity;
  /** The commit's subject. */
  subject: string;
  /** The annotated tag's message subject. */
  tagSubject?: string;
  /** Other tags of the same deploy (same commit, listed right next to it). */
  aliases: string[];
  /** The deploy before this one in time, if known. */
  previous?: { id: string; ref: string; sha: string; label: string };
  /**
   * Commits shipped since `previous` (`git rev-list --count previous..this`); undefined when there is no
   * previous deploy in the list (the oldest one).
   */
  commitCount?: number;
}

/** A repository's deploys, newest first. */
export interface DeployList {
  deploys: Deploy[];
  /** More deploys exist beyond `limit`. */
  hasMore: boolean;
  /** Set when `deploys` is empty: a sentence for the view's empty state (not an error). */
  emptyReason?: string;
  /** Non-fatal problems (a deploy branch that does not exist, …). */
  warnings: string[];
}

export interface ListDeploysOptions {
  /** How many deploys (default 50). */
  limit?: number;
  signal?: AbortSignal;
  /** The repository's cache of commit authors and subjects (its GitRepository's); without one, all are read. */
  commitDetails?: CommitDetailsCache;
}

/** A deploy before counts and the previous link are known (what the parsers return). */
export interface Candidate extends Omit<Deploy, 'previous' | 'commitCount'> {
  order: number;
}

// Only fields of the ref's own object: git computes every requested field of every matching tag before it
// sorts, and fields of the tagged commit (`%(*subject)`…) would cost a second object read per tag. The
// annotated tags' commit authors and subjects come afterwards, for the listed ones only (and are cached).
const TAG_FORMAT = [
  '%(refname)',
  '%(objecttype)',
  '%(objectname)',
  '%(*objecttype)',
  '%(*objectname)',
  '%(creatordate:unix)',
  '%(authorname)',
  '%(authoremail)',
  '%(subject)',
  '%(taggername)',
  '%(taggeremail)',
].join('%00');

const BRANCH_FORMAT = ['%H', '%ct', '%an', '%ae', '%s'].join('%x00');

/**
 * List the newest deploys of one repository with the number of commits each shipped.
 *
 * Costs a fixed number of git processes whatever the number of tags or commits:
 * 1. `for-each-ref --sort=-creatordate --count=N+1` with fields of the tag objects only (git computes every
 *    requested field of every matching tag before it sorts), alongside `log --first-parent` for a deploy branch;
 * 2. then, in parallel: one `rev-list --parents` over the span of the listed deploys, from which every count
 *    is derived, and `log --no-walk` for the commit author and subject of annotated tags not seen before
 *    (commits never change, so these are cached and a refresh usually needs none);
 * plus one `rev-list --count` only for a deploy whose previous deploy does not contain everything older.
 */
export async function listDeploys(runner: GitRunner, settings: DeploySettings, options: ListDeploysOptions = {}): Promise<DeployList> {
  const limit = Math.max(1, Math.min(options.limit ?? 50, 1000));
  const warnings: string[] = [];
  const exec = (args: string[]) => runner.exec(args, options.signal ? { signal: options.signal } : {});
  let deployBranchMissing = false;

  const readTags = async (): Promise<Candidate[]> => {
    if (!settings.sources.includes('tags') || settings.tagPatterns.length === 0) return [];
    const patterns = settings.tagPatterns.map((p) => `refs/tags/${p}`);
    const out = await exec(['for-each-ref', '--sort=-creatordate', `--count=${limit + 1}`, `--format=${TAG_FORMAT}`, '--end-of-options', ...patterns]);
    return parseTagLines(out);
  };
  const readBranch = async (): Promise<Candidate[]> => {
    if (!settings.sources.includes('branch') || !settings.deployBranch) return [];
    const branch = assertSafeRevision(settings.deployBranch, 'deploy branch');
    try {
      const out = await exec(['log', '--first-parent', `--max-count=${limit + 1}`, `--format=${BRANCH_FORMAT}`, '--end-of-options', branch, '--']);
      return parseBranchLines(out, branch);
    } catch (e) {
      if (!isGitError(e, 'RefNotFound')) throw e;
      deployBranchMissing = true;
      warnings.push(`Deploy branch "${branch}" was not found in this repository.`);
      return [];
    }
  };
  const lists = await Promise.all([readTags(), readBranch()]);

  const merged = mergeCandidates(lists);
  const hasMore = merged.length > limit;
  if (merged.length === 0) {
    return { deploys: [], hasMore: false, warnings, emptyReason: emptyReason(settings, deployBranchMissing) };
  }
  const [, counts] = await Promise.all([fillCommitDetails(exec, merged, options.commitDetails ?? new CommitDetailsCache()), countCommits(exec, merged)]);
  const deploys: Deploy[] = merged.slice(0, limit).map((c, i) => {
    const prev = merged[i + 1];
    const { order: _order, ...rest } = c;
    const d: Deploy = { ...rest };
    if (prev) {
      d.previous = { id: prev.id, ref: prev.ref, sha: prev.sha, label: prev.label };
      const n = counts[i];
      if (n !== undefined) d.commitCount = n;
    }
    return d;
  });
  return { deploys, hasMore, warnings };
}

/** Commit author and subject by commit id: immutable, so kept across refreshes (bounded, oldest entry out first). */
export class CommitDetailsCache {
  private readonly entries = new Map<string, { author: GitIdentity; subject: string }>();

  constructor(private readonly max = 5000) {}

  get(sha: string): { author: GitIdentity; subject: string } | undefined {
    return this.entries.get(sha);
  }

  has(sha: string): boolean {
    return this.entries.has(sha);
  }

  set(sha: string, details: { author: GitIdentity; subject: string }): void {
    if (!this.entries.has(sha) && this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(sha, details);
  }

  clear(): void {
    this.entries.clear();
  }
}

const DETAILS_FORMAT = ['%H', '%an', '%ae', '%s'].join('%x00');

/** The commit author and subject of annotated-tag deploys: from the cache, else one `log --no-walk`. */
async function fillCommitDetails(exec: (args: string[]) => Promise<string>, merged: Candidate[], commitDetails: CommitDetailsCache): Promise<void> {
  const needing = merged.filter((c) => c.source === 'tag' && c.annotated);
  const missing = [...new Set(needing.map((c) => c.sha).filter((sha) => !commitDetails.has(sha)))];
  if (missing.length > 0) {
    const out = await exec(['log', '--no-walk=unsorted', `--format=${DETAILS_FORMAT}`, '--end-of-options', ...missing, '--']);
    for (const line of out.split('\n')) {
      const [sha = '', name = '', email = '', subject = ''] = line.split('\0');
      if (!/^[0-9a-f]{40,64}$/.test(sha)) continue;
      commitDetails.set(sha, { author: { name, email }, subject });
    }
  }
  for (const c of needing) {
    const d = commitDetails.get(c.sha);
    if (d) {
      c.author = d.author;
      c.subject = d.subject;
    }
  }
}

function emptyReason(settings: DeploySettings, deployBranchMissing: boolean): string {
  const parts: string[] = [];
  if (settings.sources.includes('tags')) parts.push(`no tags match ${settings.tagPatterns.join(', ')}`);
  if (settings.sources.includes('branch')) {
    parts.push(deployBranchMissing ? `deploy branch "${settings.deployBranch}" does not exist` : `deploy branch "${settings.deployBranch}" has no commits`);
  }
  // The settings' real names (package.json contributes.configuration), each once.
  const hint = settings.sources.includes('branch')
    ? 'Check the settings incidentRoom.deploys.tagPatterns and incidentRoom.deploys.branch.'
    : 'Set incidentRoom.deploys.tagPatterns to your tag scheme, or incidentRoom.deploys.branch to read deploys from a branch.';
  return `No deploys found: ${parts.join('; ')}. ${hint}`;
}

const stripAngles = (s: string) => s.replace(/^<|>$/g, '');

/**
 * Parse `for-each-ref` output in {@link TAG_FORMAT}; pure (exported for tests). For an annotated tag the
 * commit's author and subject are not in it: they stay empty until filled from the commit.
 */
export function parseTagLines(out: string): Candidate[] {
  const result: Candidate[] = [];
  let order = 0;
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const f = line.split('\0');
    if (f.length < 11) continue;
    const [refname, type, objectname, peeledType, peeled, date, an, ae, subject, tn, te] = f as [
      string, string, string, string, string, string, string, string, string, string, string,
    ];
    const annotated = type === 'tag';
    // Tags of trees, blobs or tags of tags are not deploys of a commit; skip them.
    if (annotated ? peeledType !== 'commit' : type !== 'commit') continue;
    const name = refname.replace(/^refs\/tags\//, '');
    const epochSeconds = Number(date) || 0;
    const c: Candidate = {
      id: `tag:${name}`,
      source: 'tag',
      ref: name,
      label: name,
      sha: annotated ? peeled : objectname,
      annotated,
      time: new Date(epochSeconds * 1000).toISOString(),
      epochSeconds,
      author: annotated ? { name: '', email: '' } : { name: an, email: stripAngles(ae) },
      subject: annotated ? '' : subject,
      aliases: [],
      order: order++,
    };
    if (annotated) {
      c.tagSha = objectname;
      c.tagger = { name: tn, email: stripAngles(te) };
      c.tagSubject = subject;
    }
    result.push(c);
  }
  return result;
}

/** Parse `log --first-parent` output in {@link BRANCH_FORMAT}; pure (exported for tests). */
export function parseBranchLines(out: string, branch: string): Candidate[] {
  const result: Candidate[] = [];
  let order = 0;
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const [sha, date, an, ae, subject] = line.split('\0') as [string, string, string, string, string];
    if (!sha || !/^[0-9a-f]{40,64}$/.test(sha)) continue;
    const epochSeconds = Number(date) || 0;
    result.push({
      id: `branch:${sha}`,
      source: 'branch',
      ref: sha,
      label: `${branch.replace(/^refs\/(heads|remotes)\//, '')}@${sha.slice(0, 8)}`,
      sha,
      annotated: false,
      time: new Date(epochSeconds * 1000).toISOString(),
      epochSeconds,
      author: { name: an ?? '', email: ae ?? '' },
      subject: subject ?? '',
      aliases: [],
      order: order++,
    });
  }
  return result;
}

/**
 * Merge per-source lists (each newest first) into one, newest first; a deploy-branch commit that is also a
 * tagged deploy is shown once, as the tag; tags of the same commit listed next to each other become aliases.
 */
export function mergeCandidates(lists: Candidate[][]): Candidate[] {
  const all = lists.flatMap((l, li) => l.map((c) => ({ c, li })));
  const tagged = new Set(all.filter(({ c }) => c.source === 'tag').map(({ c }) => c.sha));
  const kept = all.filter(({ c }) => c.source === 'tag' || !tagged.has(c.sha));
  kept.sort((a, b) => b.c.epochSeconds - a.c.epochSeconds || a.li - b.li || a.c.order - b.c.order);
  const out: Candidate[] = [];
  for (const { c } of kept) {
    const last = out[out.length - 1];
    if (last && last.sha === c.sha && last.source === 'tag' && c.source === 'tag') last.aliases.push(c.ref);
    else out.push({ ...c, aliases: [...c.aliases] });
  }
  return out;
}

/**
 * Commits shipped by each deploy since the next older one, for `merged[0 .. n-2]` (the last entry only serves
 * as the previous of the one before it). One `rev-list --parents` lists every commit reachable from the
 * deploys but not from the oldest; walking that graph from oldest to newest assigns each commit to the first
 * deploy that reaches it. When the previous deploy reaches everything older (the normal, linear case) the
 * commits first reached by a deploy are exactly `rev-list previous..this`; otherwise (e.g. right after a
 * rollback re-deployed an old commit) that one deploy is counted by git directly.
 */
async function countCommits(exec: (args: string[]) => Promise<string>, merged: Candidate[]): Promise<Array<number | undefined>> {
  const n = merged.length;
  if (n < 2) return [];
  const boundary = (merged[n - 1] as Candidate).sha;
  const tips = [...new Set(merged.slice(0, n - 1).map((c) => c.sha))].filter((s) => s !== boundary);
  const parents = tips.length > 0 ? parseParentLines(await exec(['rev-list', '--parents', '--end-of-options', ...tips, `^${boundary}`, '--'])) : new Map<string, string[]>();
  const counts = walkCounts(merged.map((c) => c.sha), parents);
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] !== undefined) continue;
    const out = await exec(['rev-list', '--count', '--end-of-options', (merged[i] as Candidate).sha, `^${(merged[i + 1] as Candidate).sha}`, '--']);
    counts[i] = Number(out.trim());
  }
  return counts;
}

/** Parse `rev-list --parents` output ("sha parent parent…" per line) into a map; pure. */
export function parseParentLines(out: string): Map<string, string[]> {
  // indexOf/slice rather than split: this is the one large output of a refresh (thousands of lines).
  const parents = new Map<string, string[]>();
  let pos = 0;
  while (pos < out.length) {
    let nl = out.indexOf('\n', pos);
    if (nl < 0) nl = out.length;
    const sp = out.indexOf(' ', pos);
    if (sp < 0 || sp > nl) {
      if (nl > pos) parents.set(out.slice(pos, nl), []);
    } else {
      const ps: string[] = [];
      let p = sp + 1;
      while (p < nl) {
        let q = out.indexOf(' ', p);
        if (q < 0 || q > nl) q = nl;
        if (q > p) ps.push(out.slice(p, q));
        p = q + 1;
      }
      parents.set(out.slice(pos, sp), ps);
    }
    pos = nl + 1;
  }
  return parents;
}

/**
 * The graph part of {@link countCommits}, pure (exported for tests). `shas` newest first, the last one the
 * boundary; `parents` holds every commit reachable from the others but not from the boundary. Returns, for
 * each but the last, the exact count, or undefined where git must count.
 */
export function walkCounts(shas: readonly string[], parents: ReadonlyMap<string, readonly string[]>): Array<number | undefined> {
  const n = shas.length;
  const counts: Array<number | undefined> = new Array(Math.max(0, n - 1)).fill(undefined);
  if (n < 2) return counts;
  // `frontier`: deploy commits whose ancestors together are everything seen so far (starting with the
  // boundary, whose ancestors are the commits rev-list left out). `covers`: the previous deploy alone
  // reached the whole frontier before it, so "seen" equals reach(previous).
  const seen = new Set<string>();
  let frontier = new Set<string>([shas[n - 1] as string]);
  let prevCovers = true;
  for (let i = n - 2; i >= 0; i--) {
    const start = shas[i] as string;
    const met = new Set<string>();
    const walked = new Set<string>();
    let fresh = 0;
    const stack = [start];
    while (stack.length > 0) {
      const s = stack.pop() as string;
      if (walked.has(s)) continue;
      walked.add(s);
      if (frontier.has(s)) met.add(s);
      const ps = parents.get(s);
      if (ps === undefined) continue; // an ancestor of the boundary
      if (seen.has(s)) {
        // Already counted for an older deploy: only look further while some frontier commit is still unmet.
        if (met.size < frontier.size) for (const p of ps) stack.push(p);
        continue;
      }
      seen.add(s);
      fresh++;
      for (const p of ps) stack.push(p);
    }
    if (prevCovers) counts[i] = fresh;
    const covers = met.size === frontier.size;
    if (covers) frontier = new Set([start]);
    else {
      for (const m of met) frontier.delete(m);
      frontier.add(start);
    }
    prevCovers = covers;
  }
  return counts;
}

/** How a deploy relates to an incident's detection time. */
export interface IncidentWindowMark {
  /** Inside the window: the last deploy at or before detection, and everything after it. */
  inWindow: boolean;
  /** The last deploy at or before detection: the first suspect. */
  lastBeforeDetection: boolean;
  /** Deployed after detection (e.g. a fix or a rollback). */
  afterDetection: boolean;
}

/**
 * Mark deploys against an incident's detection time (pure). The window opens at the last deploy at or before
 * detection (what was running when it broke) and stays open; if every deploy came after detection, all are
 * in the window. Without a detection time nothing is marked.
 */
export function markIncidentWindow<D extends Pick<Deploy, 'epochSeconds'>>(deploys: readonly D[], detectedAt: string | Date | undefined): IncidentWindowMark[] {
  const none = deploys.map(() => ({ inWindow: false, lastBeforeDetection: false, afterDetection: false }));
  if (detectedAt === undefined) return none;
  const t = (typeof detectedAt === 'string' ? Date.parse(detectedAt) : detectedAt.getTime()) / 1000;
  if (!Number.isFinite(t)) return none;
  let lastBefore = -1;
  let lastBeforeTime = -Infinity;
  deploys.forEach((d, i) => {
    if (d.epochSeconds <= t && d.epochSeconds > lastBeforeTime) {
      lastBefore = i;
      lastBeforeTime = d.epochSeconds;
    }
  });
  return deploys.map((d, i) => ({
    inWindow: d.epochSeconds > t || i === lastBefore || (lastBefore >= 0 && d.epochSeconds >= lastBeforeTime),
    lastBeforeDetection: i === lastBefore,
    afterDetection: d.epochSeconds > t,
  }));
}
