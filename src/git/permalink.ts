/**
 * Permalinks to a file's lines at a commit on the repository's web host, from a git remote URL. Pure: no git,
 * no network. Used by "Add Selection to Timeline" (the `remoteUrl` of a note's source); `fileGitContext` in
 * repository.ts gives the remote URL, HEAD and the repository-relative path it needs.
 */

/** Where a remote is hosted, as far as its URL tells. */
export type RemoteHost = 'github' | 'gitlab' | 'bitbucket' | 'other';

/** A remote URL reduced to what a web link needs: no credentials, no `.git`, no ssh port. */
export interface ParsedRemote {
  readonly host: string;
  /** `org/repo` or `group/subgroup/repo`. */
  readonly path: string;
  readonly kind: RemoteHost;
  /** `http` only when the remote itself is plain http; ssh and git remotes link over https. */
  readonly scheme: 'https' | 'http';
  /** Kept for http(s) remotes only (an ssh port says nothing about the web port). */
  readonly port?: string;
}

const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/**
 * Parse the remote URL forms git accepts: `https://[user[:pass]@]host[:port]/org/repo(.git)`,
 * `ssh://[user@]host[:port]/org/repo(.git)`, `git://host/org/repo`, and scp-like `user@host:org/repo(.git)`.
 * Undefined for local paths, `file://` URLs and anything else with no web view to link to.
 */
export function parseRemoteUrl(url: string): ParsedRemote | undefined {
  const raw = url.trim();
  // A backslash is read as a slash by URL parsers but not by every git transport: refuse the ambiguity.
  if (raw === '' || /[\s\0\\]/.test(raw)) return undefined;
  let host: string;
  let repoPath: string;
  let scheme: ParsedRemote['scheme'] = 'https';
  let port: string | undefined;
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/\/)(.+)$/.exec(raw);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      return undefined;
    }
    if (!['http:', 'https:', 'ssh:', 'git:', 'git+ssh:', 'ssh+git:'].includes(u.protocol) || !u.hostname) return undefined;
    if (u.protocol === 'http:' || u.protocol === 'https:') {
      scheme = u.protocol === 'http:' ? 'http' : 'https';
      if (u.port) port = u.port;
    }
    host = u.hostname.toLowerCase();
    repoPath = safeDecode(u.pathname);
  } else if (scp && !/^[a-z]:[\\/]/i.test(raw)) {
    host = (scp[1] as string).toLowerCase();
    repoPath = scp[2] as string;
  } else {
    return undefined;
  }
  // The ssh-over-443 endpoints serve the same repositories as the main hosts.
  if (host === 'ssh.github.com') host = 'github.com';
  if (host === 'altssh.bitbucket.org') host = 'bitbucket.org';
  if (!HOST.test(host)) return undefined;
  repoPath = repoPath.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '');
  const segments = repoPath.split('/');
  if (!repoPath || segments.some((seg) => seg === '' || seg === '.' || seg === '..')) return undefined;
  const kind: RemoteHost =
    host === 'github.com' || host.endsWith('.github.com') || host.startsWith('github.')
      ? 'github'
      : host === 'gitlab.com' || host.startsWith('gitlab.')
        ? 'gitlab'
        : host === 'bitbucket.org' || host.startsWith('bitbucket.')
          ? 'bitbucket'
          : 'other';
  return port ? { host, path: repoPath, kind, scheme, port } : { host, path: repoPath, kind, scheme };
}

/** The repository's web page, e.g. `https://github.com/org/repo`. */
export function repositoryWebUrl(remote: ParsedRemote): string {
  return `${remote.scheme}://${remote.host}${remote.port ? `:${remote.port}` : ''}/${remote.path.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * A permalink to lines `startLine`–`endLine` (1-based, inclusive) of `filePath` (repository-relative, `/`
 * separators) at `commit`, in the web UI of the remote's host; undefined when the remote has no web form (a
 * local path) or an argument is invalid. Unknown hosts get the GitHub-style `/blob/` form most self-hosted
 * forges accept, unless `options.kind` says which forge it is.
 */
export function buildPermalink(
  remoteUrl: string,
  commit: string,
  filePath: string,
  startLine: number,
  endLine: number = startLine,
  options: { kind?: RemoteHost } = {},
): string | undefined {
  const remote = parseRemoteUrl(remoteUrl);
  if (!remote || !/^[0-9a-f]{7,64}$/.test(commit)) return undefined;
  if (!Number.isInteger(startLine) || !Number.isInteger(endLine) || startLine < 1 || endLine < startLine) return undefined;
  const segments = filePath.replace(/^\/+/, '').split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\0'))) return undefined;
  const file = segments.map(encodeURIComponent).join('/');
  const base = repositoryWebUrl(remote);
  const one = startLine === endLine;
  switch (options.kind ?? remote.kind) {
    case 'gitlab':
      return `${base}/-/blob/${commit}/${file}#L${startLine}${one ? '' : `-${endLine}`}`;
    case 'bitbucket':
      return `${base}/src/${commit}/${file}#lines-${startLine}${one ? '' : `:${endLine}`}`;
    default:
      return `${base}/blob/${commit}/${file}#L${startLine}${one ? '' : `-L${endLine}`}`;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
