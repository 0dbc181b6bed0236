// Redaction of a terminal command line before it leaves the machine (Capture This Terminal to the Timeline, #16).
// Pure: the capture controller (extension/terminalCapture.ts) calls it on every captured command. It errs on the
// side of hiding too much: a responder can say what a redacted value was; a leaked token has to be rotated.

/** What a secret is replaced with. */
export const REDACTED = '[redacted]';

/**
 * A name that says its value is a secret: `GITHUB_TOKEN`, `DB_PASSWORD`, `PGPASSWORD`, `api-key`, `--auth`, `key`.
 * Split on `-`, `_` and `.`; a part is secret when it is one of the short words or ends in one of the long ones
 * (`authtoken`, `apikey`, `secretkey`). `--author`, `--port`, `--passive` are not.
 */
export function isSecretName(name: string): boolean {
  return name.split(/[-_.]+/).some((part) => SECRET_PART.test(part));
}
const SECRET_PART = /^(?:pass|pwd|pw|auth|authorization|creds?|credentials?|bearer|cookie)$|(?:token|secret|passw(?:or)?d|apikey|key)$/i;

/** A problem with one of the user's patterns: which one, and why it is not a regular expression. */
export interface PatternProblem {
  readonly index: number;
  readonly pattern: string;
  readonly reason: string;
}

/**
 * The user's patterns (`incidentRoom.terminal.redact`) compiled: each a JavaScript regular expression, matched
 * case-insensitively; what it matches is redacted, or only its first capture group when it has one. Every pattern is
 * checked: one that is not a string, is empty, or does not compile is a problem, and the caller refuses to capture
 * (capturing without a pattern the user asked for would leak what it was meant to hide).
 */
export function compileRedactPatterns(raw: unknown): { readonly patterns: readonly RegExp[]; readonly problems: readonly PatternProblem[] } {
  if (raw === undefined || raw === null) return { patterns: [], problems: [] };
  if (!Array.isArray(raw)) return { patterns: [], problems: [{ index: -1, pattern: JSON.stringify(raw) ?? String(raw), reason: 'must be a list of regular expressions' }] };
  const patterns: RegExp[] = [];
  const problems: PatternProblem[] = [];
  raw.forEach((p: unknown, index) => {
    if (typeof p !== 'string' || p.length === 0) {
      problems.push({ index, pattern: JSON.stringify(p) ?? String(p), reason: 'must be a non-empty string' });
      return;
    }
    try {
      const re = new RegExp(p, 'gid');
      // A pattern that matches the empty string would redact between every character, or loop.
      if (re.test('')) problems.push({ index, pattern: p, reason: 'matches the empty string' });
      else patterns.push(re);
    } catch (error) {
      problems.push({ index, pattern: p, reason: (error as Error).message.replace(/^Invalid regular expression: (?:\/.*\/[a-z]*: )?/s, '') });
    }
  });
  return { patterns, problems };
}

/** The problems of `setting` in one sentence, each pattern named by its place and text: what the error shows. */
export function patternProblemsText(setting: string, problems: readonly PatternProblem[]): string {
  const which = problems.map((p) => (p.index < 0 ? `it ${p.reason}`
    : `pattern ${p.index + 1} ${p.pattern.startsWith('"') ? p.pattern : JSON.stringify(p.pattern)} ${/^(must|matches)/.test(p.reason) ? p.reason : `is not a regular expression (${p.reason})`}`));
  return `setting ${setting} is invalid: ${which.join('; ')}`;
}

/**
 * `line` with its secrets replaced by `[redacted]`: the user's patterns first (on the line as typed), then the
 * built-in rules — values of environment assignments (`FOO=bar cmd`, `export FOO=bar`, `env FOO=bar`, fish's
 * `set -x FOO bar`, PowerShell's `$env:FOO = "bar"`), any `NAME=value` whose name says secret, values of secret
 * flags (`--token abc`, `--password=x`, `-api-key x`; see isSecretName: short flags such as `-p` are left alone, since
 * they mean different things to different tools), the password of curl's `-u user:pass`, Authorization / Cookie /
 * `X-…-Token` header values, `Bearer …` and `Basic …` credentials, credentials in URLs (`https://user:pass@host`;
 * a bare user of an http(s) URL too, as tokens are passed that way), secret query parameters (`?token=…`), and the
 * shapes of well-known tokens (GitHub, GitLab, Slack, AWS access key ids, JWTs, private key blocks).
 * Idempotent: redacting a redacted line changes nothing.
 */
export function redactCommandLine(line: string, userPatterns: readonly RegExp[] = []): string {
  let out = line;
  for (const re of userPatterns) out = applyPattern(out, re);
  out = redactWords(out);
  for (const [re, replace] of LINE_RULES) out = out.replace(re, replace as (substring: string, ...args: string[]) => string);
  return out;
}

function applyPattern(text: string, re: RegExp): string {
  re.lastIndex = 0;
  const cuts: [number, number][] = [];
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const span = m.indices?.[1] ?? m.indices?.[0];
    if (span && span[1] > span[0]) cuts.push([span[0], span[1]]);
    if (m[0].length === 0) re.lastIndex++;
  }
  re.lastIndex = 0;
  return splice(text, cuts);
}

/** `text` with each [start, end) range (ascending, not overlapping after merge) replaced by `[redacted]`. */
function splice(text: string, cuts: readonly (readonly [number, number])[]): string {
  if (cuts.length === 0) return text;
  const sorted = [...cuts].sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  for (const [start, end] of sorted) {
    if (end <= at) continue;
    out += text.slice(at, Math.max(at, start)) + (start >= at ? REDACTED : '');
    at = end;
  }
  return out + text.slice(at);
}

interface Word {
  readonly start: number;
  readonly end: number;
  /** The word as written, quotes included. */
  readonly raw: string;
  /** An operator that ends a simple command (`;`, `&&`, `|`, `(`, a newline…), not a word. */
  readonly operator: boolean;
}

/** The words of a shell command line, as a POSIX shell splits them (quotes and backslashes honoured), with operators. */
export function shellWords(line: string): Word[] {
  const words: Word[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    // Any blank, not only space and tab: a no-break space pasted from a web page would otherwise stop the word loop
    // below before its first character, and it would never advance.
    if (c !== '\n' && /\s/.test(c)) {
      i++;
      continue;
    }
    // `{` and `}` are operators only as words of their own (bash's reserved words): `--password {x9}` is a value.
    if (c === '\n' || c === ';' || c === '&' || c === '|' || c === '(' || c === ')'
      || ((c === '{' || c === '}') && /^[\s;&|()<>]?$/.test(line[i + 1] ?? ''))) {
      const len = (c === '&' || c === '|' || c === ';') && line[i + 1] === c ? 2 : 1;
      words.push({ start: i, end: i + len, raw: line.slice(i, i + len), operator: true });
      i += len;
      continue;
    }
    const start = i;
    while (i < line.length && !/[\s;&|()]/.test(line[i]!)) {
      const ch = line[i]!;
      if (ch === '\\') i += 2;
      else if (ch === '\'') {
        const close = line.indexOf('\'', i + 1);
        i = close === -1 ? line.length : close + 1;
      } else if (ch === '"') {
        i++;
        while (i < line.length && line[i] !== '"') i += line[i] === '\\' ? 2 : 1;
        i++;
      } else i++;
    }
    i = Math.min(i, line.length);
    words.push({ start, end: i, raw: line.slice(start, i), operator: false });
  }
  return words;
}

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)\+?=/;
/** Commands whose `NAME=value` arguments set variables: all of their assignments are redacted. */
const SETTERS = new Set(['export', 'env', 'declare', 'typeset', 'local', 'readonly', 'setenv', 'setx']);
/** Words that may precede a command without ending its prefix assignments (`sudo FOO=bar cmd`). */
const PREFIXES = new Set(['sudo', 'doas', 'command', 'exec', 'nohup', 'time', 'nice']);
/** A secret flag with its value in the same word: `--token=abc`, `-password=x`. */
const FLAG_WITH_VALUE = /^(--?)([A-Za-z][\w.-]*)=/;
const FLAG = /^--?([A-Za-z][\w.-]*)$/;

/** The per-word rules: assignments, secret flags and their values, curl's `-u user:pass`. */
function redactWords(line: string): string {
  const words = shellWords(line);
  const cuts: [number, number][] = [];
  let commandStart = true;
  let setter = false;
  let fishSet = false;
  for (let k = 0; k < words.length; k++) {
    const w = words[k]!;
    if (w.operator) {
      commandStart = true;
      setter = false;
      fishSet = false;
      continue;
    }
    const assignment = ASSIGNMENT.exec(w.raw);
    if (assignment && (commandStart || setter || isSecretName(assignment[1]!))) {
      if (w.raw.length > assignment[0].length) cuts.push([w.start + assignment[0].length, w.end]);
      continue;
    }
    if (commandStart) {
      commandStart = PREFIXES.has(w.raw);
      setter = SETTERS.has(w.raw);
      fishSet = w.raw === 'set' || w.raw === 'setenv' || w.raw === 'setx';
      continue;
    }
    if (fishSet) {
      // `set`'s own options take no value (fish's `-U` is its universal scope, not curl's proxy user).
      if (w.raw.startsWith('-')) continue;
      // fish: `set -gx NAME value…`, csh: `setenv NAME value`, cmd: `setx NAME value` — all after the name is its value.
      const next = words.slice(k + 1);
      const end = next.findIndex((x) => x.operator);
      const values = end === -1 ? next : next.slice(0, end);
      if (values.length > 0) cuts.push([values[0]!.start, values[values.length - 1]!.end]);
      fishSet = false;
      k += values.length;
      continue;
    }
    const withValue = FLAG_WITH_VALUE.exec(w.raw);
    if (withValue) {
      if (isSecretName(withValue[2]!) && w.raw.length > withValue[0].length) cuts.push([w.start + withValue[0].length, w.end]);
      else if (withValue[2] === 'user') redactUserPassword(w, withValue[0].length, cuts);
      continue;
    }
    const flag = FLAG.exec(w.raw);
    const next = words[k + 1];
    if (!flag || !next || next.operator) continue;
    if (isSecretName(flag[1]!)) {
      cuts.push([next.start, next.end]);
      k++;
    } else if (w.raw === '-u' || w.raw === '--user' || w.raw === '-U' || w.raw === '--proxy-user') {
      redactUserPassword(next, 0, cuts);
      k++;
    }
  }
  return splice(line, cuts);
}

/** curl's `user:password` (in `word` from `offset`): the password. */
function redactUserPassword(word: Word, offset: number, cuts: [number, number][]): void {
  const value = word.raw.slice(offset);
  const colon = value.indexOf(':');
  if (colon === -1 || colon === value.length - 1) return;
  const quote = value.startsWith('"') || value.startsWith('\'') ? 1 : 0;
  cuts.push([word.start + offset + colon + 1, word.end - (quote && word.raw.endsWith(value[0]!) ? 1 : 0)]);
}

type Replacer = (match: string, ...groups: string[]) => string;

/** Rules on the whole line, after the word rules (each idempotent: `[redacted]` is never matched again). */
const LINE_RULES: readonly (readonly [RegExp, Replacer])[] = [
  // Authorization headers: keep the scheme, hide the credentials.
  [/\b((?:proxy-)?authorization\s*:\s*)(?!(?:[a-z]+\s+)?\[redacted\])(?:(bearer|basic|token|digest|negotiate|apikey)\s+)?[^\s'"]+/gi,
    (_m, head: string, scheme: string | undefined) => `${head}${scheme ? `${scheme} ` : ''}${REDACTED}`],
  // Cookies: the whole value (it may have spaces), up to a quote or the end of the line.
  [/\b((?:set-)?cookie\s*:\s*)(?!\[redacted\])[^'"\n]+/gi, (_m, head: string) => `${head}${REDACTED}`],
  // Other credential headers: X-Api-Key, X-Auth-Token, Private-Token (GitLab), X-Vault-Token…
  [/\b((?:x-[\w-]*|private-token|api-key)\s*:\s*)(?!\[redacted\])([^\s'"]+)/gi,
    (m, head: string) => (isSecretName(head.replace(/\s*:\s*$/, '')) ? `${head}${REDACTED}` : m)],
  // Bearer credentials wherever they appear (Basic only in an Authorization header: "basic" is also a word).
  [/\b(bearer)(\s+)(?!\[redacted\])([A-Za-z0-9._~+/-]+=*)/gi, (_m, scheme: string, space: string) => `${scheme}${space}${REDACTED}`],
  // Credentials in URLs: the password of user:password@; a bare user of an http(s) URL (tokens are passed so).
  [/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@'"?#]+)@/gi, (m, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    if (colon !== -1) return userinfo.slice(colon + 1) === REDACTED ? m : `${scheme}${userinfo.slice(0, colon)}:${REDACTED}@`;
    return /^(?:[a-z]+\+)?https?:\/\/$/i.test(scheme) && userinfo !== REDACTED ? `${scheme}${REDACTED}@` : m;
  }],
  // NAME=value with a secret name anywhere: `-e DB_PASSWORD=x`, `--from-literal=password=x`, `--set db.password=x`,
  // `?token=x&api_key=y`, and signed URLs' signatures.
  [/(^|[\s=,:;?&"'(])([A-Za-z_][\w.-]*)=("[^"]*"|'[^']*'|[^\s&,;'"]+)/g, (m, sep: string, name: string, value: string) =>
    (value !== REDACTED && (isSecretName(name) || /signature$|^sig$/i.test(name)) ? `${sep}${name}=${REDACTED}` : m)],
  // PowerShell: $env:NAME = "value"
  [/(\$env:[A-Za-z_]\w*\s*=\s*)(?!\[redacted\])("[^"]*"|'[^']*'|[^\s;|]+)/gi, (_m, head: string) => `${head}${REDACTED}`],
  // Well-known token shapes, wherever they appear.
  [/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|(?:AKIA|ASIA)[0-9A-Z]{16}|sk-[A-Za-z0-9_-]{20,}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+)/g, () => REDACTED],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, () => REDACTED],
];

/**
 * `text` cut to at most `max` UTF-16 units (the protocol's string limits), ending in `…` when cut; never splits a
 * surrogate pair. Apply after redaction, so a secret is never cut into a part the rules no longer recognise.
 */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return `${text.slice(0, cut)}…`;
}
