/** Where a remote is hosted, as far as its URL tells. */
export type RemoteHost = 'github' | 'gitlab' | 'bitbucket' | 'other';

/** A remote URL split into host and repository path, with credentials and `.git` removed. */
export interface ParsedRemote {
  readonly host: string;
  readonly path: string;
  readonly kind: RemoteHost;
}

/**
 * Parse the remote URL forms git accepts: `https://[user[:pass]@]host[:port]/org/repo(.git)`,
 * `ssh://[user@]host[:port]/org/repo(.git)`, `git://host/org/repo`, and scp-like `user@host:org/repo(.git)`.
 * Undefined for local paths and `file://` URLs (no web view to link to).
 */
export function parseRemoteUrl(url: string): ParsedRemote | undefined {
  const raw = url.trim();
  let host: string;
  let repoPath: string;
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/\/)(.+)$/.exec(raw);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      return undefined;
    }
    if (!['http:', 'https:', 'ssh:', 'git:', 'git+ssh:', 'ssh+git:'].includes(u.protocol) || !u.hostname) return undefined;
    host = u.hostname.toLowerCase();
    repoPath = decodeURIComponent(u.pathname);
  } else if (scp && !/^[a-z]:[\\/]/i.test(raw)) {
    host = (scp[1] as string).toLowerCase();
    repoPath = scp[2] as string;
  } else {
    return undefined;
  }
  repoPath = repoPath.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '');
  // Bitbucket Server's ssh URLs put the project under /scm/ on the web too; plain hosts keep the path as is.
  if (!repoPath || repoPath.split('/').some((seg) => seg === '' || seg === '.' || seg === '..')) return undefined;
  const kind: RemoteHost = host === 'github.com' || host.endsWith('.github.com') || host.startsWith('github.') ? 'github'
    : host === 'gitlab.com' || host.startsWith('gitlab.') ? 'gitlab'
      : host === 'bitbucket.org' || host.startsWith('bitbucket.') ? 'bitbucket' : 'other';
  // ssh.github.com (port 443 ssh) serves the same repositories as github.com.
  return { host: host === 'ssh.github.com' ? 'github.com' : host, path: repoPath, kind };
}

/**
 * A permalink to lines of a file at a commit, in the web UI of the remote's host; undefined when the remote has no
 * known web form (a local path). Unknown hosts get the GitHub-style `/blob/` form most self-hosted forges accept.
 */
export function buildPermalink(remoteUrl: string, commit: string, filePath: string, startLine: number, endLine: number): string | undefined {
  const remote = parseRemoteUrl(remoteUrl);
  if (!remote || !/^[0-9a-f]{7,64}$/.test(commit)) return undefined;
  const file = filePath.split('/').map(encodeURIComponent).join('/');
  const base = `https://${remote.host}/${remote.path.split('/').map(encodeURIComponent).join('/')}`;
  const one = startLine === endLine;
  switch (remote.kind) {
    case 'gitlab':
      return `${base}/-/blob/${commit}/${file}#L${startLine}${one ? '' : `-${endLine}`}`;
    case 'bitbucket':
      return `${base}/src/${commit}/${file}#lines-${startLine}${one ? '' : `:${endLine}`}`;
    default:
      return `${base}/blob/${commit}/${file}#L${startLine}${one ? '' : `-L${endLine}`}`;
  }
}
