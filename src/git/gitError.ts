import { brand, hasBrand } from '../core/brand';

/** What went wrong in a git call, classified so callers can react (and show one clear message). */
export const GIT_ERROR_CODES = [
  'NotARepository',
  'RefNotFound',
  'PathNotFound',
  'DirtyWorkTree',
  'MergeConflict',
  'PushRejected',
  /** `--force-with-lease` refused: the remote ref is no longer at the sha we saw. */
  'StaleLease',
  'AuthenticationFailed',
  'RemoteNotFound',
  'NothingToRevert',
  'InvalidRefName',
  'BranchExists',
  /** Refused before anything ran: a value that could be read as an option, a bad placeholder, … */
  'UnsafeInput',
  'Cancelled',
  /** The git executable could not be started. */
  'GitNotFound',
  'Unknown',
] as const;
export type GitErrorCode = (typeof GIT_ERROR_CODES)[number];

/** An error from a git call (or refused before one), with a code and git's own words. */
export class GitError extends Error {
  /** By brand (core/brand.ts): the lazy chunks carry copies of this class. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, 'GitError');
  }

  override readonly name = 'GitError';

  constructor(
    readonly code: GitErrorCode,
    message: string,
    readonly detail: {
      /** argv after `git`, when a process ran or was about to. */
      readonly args?: readonly string[];
      readonly exitCode?: number;
      readonly stderr?: string;
      readonly stdout?: string;
      readonly cause?: unknown;
    } = {},
  ) {
    super(message);
    brand(this, 'GitError');
  }

  /** The exact command line, for logs (`git a b c`), quoted where needed. */
  get command(): string {
    return formatGitCommand(this.detail.args ?? []);
  }
}

/** True when `e` is a GitError, optionally of one of `codes`. */
export function isGitError(e: unknown, ...codes: GitErrorCode[]): e is GitError {
  return e instanceof GitError && (codes.length === 0 || codes.includes(e.code));
}

// Ordered: the first match wins, so the more specific patterns come first (e.g. a stale lease also says
// "failed to push", an ssh auth failure also says "Could not read from remote repository").
const RULES: ReadonlyArray<readonly [GitErrorCode, RegExp]> = [
  ['NotARepository', /not a git repository|must be run in a work tree|this operation must be run in a work tree/i],
  ['StaleLease', /\(stale info\)|stale info/i],
  [
    'AuthenticationFailed',
    /authentication failed|could not read (username|password)|terminal prompts disabled|permission denied \((publickey|keyboard-interactive|password)|HTTP Basic: Access denied|invalid username or password|The requested URL returned error: 40[13]|Host key verification failed/i,
  ],
  ['PushRejected', /\[rejected\]|\[remote rejected\]|failed to push some refs|updates were rejected|non-fast-forward/i],
  [
    'RemoteNotFound',
    /does not appear to be a git repository|could not read from remote repository|repository ['"]?.*['"]? not found|no such remote|unable to access|could not resolve host|Connection refused|'[^']*' does not appear to be/i,
  ],
  [
    'DirtyWorkTree',
    /your local changes (to the following files )?would be overwritten|commit your changes or stash them|your index file is unmerged|you have unstaged changes|cannot .* with uncommitted changes|untracked working tree files would be overwritten/i,
  ],
  [
    'MergeConflict',
    /CONFLICT \(|could not revert|could not apply|after resolving the conflicts|merge conflict|Automatic merge failed|is in the middle of|you are in the middle of|revert is already in progress|cherry-pick is already in progress/i,
  ],
  ['NothingToRevert', /nothing to commit|previous (cherry-pick|revert) is now empty|The previous cherry-pick is now empty/i],
  ['InvalidRefName', /is not a valid (branch|tag|ref) name|not a valid branch name|invalid ref format|bad refname|is not a valid refname/i],
  ['BranchExists', /a branch named .* already exists|already exists/i],
  ['PathNotFound', /path '.*' does not exist in|exists on disk, but not in|does not exist in '/i],
  [
    'RefNotFound',
    /unknown revision|bad revision|bad object|not a valid object name|invalid object name|invalid reference|needed a single revision|couldn't find remote ref|not a commit|no such ref|not a valid commit|does not point to a commit|ambiguous argument/i,
  ],
];

/** Classify git's stderr (and exit code) into a code; pure, unit-tested on raw strings. */
export function classifyGitStderr(stderr: string, _exitCode?: number): GitErrorCode {
  for (const [code, re] of RULES) if (re.test(stderr)) return code;
  return 'Unknown';
}

/** The most telling line of git's stderr, for a one-line message. */
export function summarizeStderr(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !/^hint:/.test(l));
  const fatal = lines.find((l) => /^(fatal|error):/.test(l));
  const line = fatal ?? lines[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** `git <args>` as one line for logs, quoted where needed (display only, never executed). */
export function formatGitCommand(args: readonly string[]): string {
  return ['git', ...args].map(quoteForLog).join(' ');
}

function quoteForLog(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
