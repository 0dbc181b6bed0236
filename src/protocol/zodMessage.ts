import type { z } from 'zod';

/** Render zod's first issue as one line naming the field: `event.data.severity: expected SEV1|SEV2|SEV3|SEV4`. */
export function describeZodError(error: z.ZodError): string {
  const { field, problem } = zodErrorField(error);
  return field ? `${field}: ${problem}` : problem;
}

/** zod's first issue apart: the field (`alerts[3].startsAt`, '' for the whole value) and what is wrong with it. */
export function zodErrorField(error: z.ZodError): { field: string; problem: string } {
  const issue = pickIssue(error.issues);
  if (!issue) return { field: '', problem: 'invalid message' };
  return { field: formatPath(issue.path), problem: describeIssue(issue) };
}

type Issue = z.core.$ZodIssue;

// A union failure carries the issues of each branch; the deepest branch is the most helpful to report.
function pickIssue(issues: readonly Issue[]): Issue | undefined {
  const first = issues[0];
  if (first?.code === 'invalid_union' && first.errors.length > 0) {
    let best: Issue | undefined;
    for (const branch of first.errors) {
      const candidate = pickIssue(branch);
      if (candidate && (!best || candidate.path.length > best.path.length)) best = candidate;
    }
    if (best) return { ...best, path: [...first.path, ...best.path] } as Issue;
  }
  return first;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

function describeIssue(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_value':
      return `expected ${issue.values.map((v) => String(v)).join('|')}`;
    case 'invalid_union':
      if ('discriminator' in issue && Array.isArray((issue as { options?: unknown[] }).options)) {
        return `expected ${((issue as { options: unknown[] }).options).map(String).join('|')}`;
      }
      return 'matches none of the allowed shapes';
    case 'invalid_type':
    {
      // zod omits the input from issues; its message ends with "received <type>".
      const got = /received (\w+)/.exec(issue.message)?.[1];
      return got === undefined || got === 'undefined' ? `required (expected ${issue.expected})` : `expected ${issue.expected}, got ${got}`;
    }
    case 'too_big':
      return issue.origin === 'string' ? `must be at most ${issue.maximum} characters`
        : issue.origin === 'array' ? `must have at most ${issue.maximum} items` : `must be at most ${issue.maximum}`;
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters`;
      return `must be at least ${issue.minimum}`;
    case 'invalid_format':
      // a schema's own words ("expected an http(s) URL") say more than the format's name
      return issue.format === 'regex' || issue.message.startsWith('expected ') ? issue.message : `expected ${formatName(issue.format)}`;
    default:
      return issue.message;
  }
}

function formatName(format: string): string {
  switch (format) {
    case 'datetime': return 'an ISO-8601 time with a zone, like 2026-11-22T14:04:00.000Z';
    case 'date': return 'a date like 2026-11-30';
    case 'uuid': return 'a UUID';
    case 'url': return 'a URL';
    default: return format;
  }
}
