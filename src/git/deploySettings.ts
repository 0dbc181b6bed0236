import { isSafeRevision, isValidTagPattern } from './refName';

/** Where deploys come from. */
export type DeploySourceKind = 'tags' | 'branch';

/**
 * Settings of deploy discovery (`incidentRoom.deploys.*` in the extension).
 *
 * - `sources`: `tags` (tags matching `tagPatterns`) and/or `branch` (first-parent commits of `deployBranch`).
 * - `tagPatterns`: globs under `refs/tags/` (`*` does not cross `/`; `**` does).
 * - `deployBranch`: e.g. `production` or `origin/production`; the `branch` source reads its first-parent
 *   commits, and the `revert` rollback starts its branch from its tip.
 */
export interface DeploySettings {
  sources: readonly DeploySourceKind[];
  tagPatterns: readonly string[];
  deployBranch?: string | undefined;
}

/** Default tag schemes: `deploy/*`, `deploy-*`, `release-*`, `release/*`, `v*`. */
export const DEFAULT_TAG_PATTERNS: readonly string[] = ['deploy/*', 'deploy-*', 'release-*', 'release/*', 'v*'];

export const DEFAULT_DEPLOY_SETTINGS: DeploySettings = { sources: ['tags'], tagPatterns: DEFAULT_TAG_PATTERNS };

/** Settings after validation: what was kept and, in `problems`, what was dropped and why. */
export interface ValidatedDeploySettings extends DeploySettings {
  problems: string[];
}

/**
 * Validate raw settings (anything from the user's settings.json): drop patterns and branches that could not be
 * a ref, say why, and fall back to the defaults where nothing usable is left.
 */
export function validateDeploySettings(raw: Partial<Record<keyof DeploySettings, unknown>> | undefined): ValidatedDeploySettings {
  const problems: string[] = [];
  let sources: DeploySourceKind[] = [];
  if (Array.isArray(raw?.sources)) {
    for (const s of raw.sources) {
      if (s === 'tags' || s === 'branch') {
        if (!sources.includes(s)) sources.push(s);
      } else problems.push(`Unknown deploy source ${JSON.stringify(s)} (expected "tags" or "branch").`);
    }
  }
  let tagPatterns: string[] = [];
  if (Array.isArray(raw?.tagPatterns)) {
    for (const p of raw.tagPatterns) {
      if (typeof p === 'string' && isValidTagPattern(p)) tagPatterns.push(p);
      else problems.push(`Ignoring tag pattern ${JSON.stringify(p)}: not a valid tag glob.`);
    }
  } else if (raw?.tagPatterns !== undefined) problems.push('tagPatterns must be a list of globs.');
  if (tagPatterns.length === 0) tagPatterns = [...DEFAULT_TAG_PATTERNS];
  let deployBranch: string | undefined;
  if (typeof raw?.deployBranch === 'string' && raw.deployBranch.trim() !== '') {
    const b = raw.deployBranch.trim();
    if (isSafeRevision(b) && !/^[0-9a-f]{4,64}$/.test(b)) deployBranch = b;
    else problems.push(`Ignoring deploy branch ${JSON.stringify(raw.deployBranch)}: not a valid branch name.`);
  }
  if (sources.length === 0) sources = deployBranch && raw?.sources === undefined ? ['tags', 'branch'] : ['tags'];
  if (sources.includes('branch') && !deployBranch) {
    problems.push('The "branch" deploy source needs a deploy branch; reading tags only.');
    sources = sources.filter((s) => s !== 'branch');
    if (sources.length === 0) sources = ['tags'];
  }
  return { sources, tagPatterns, deployBranch, problems };
}
