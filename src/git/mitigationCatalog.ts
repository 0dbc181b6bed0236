import * as z from 'zod';
import { RISKS, type MitigationAction, type Risk } from '../protocol/vocabulary';
import { COMMAND_PLACEHOLDERS } from './commandTemplate';

/**
 * The prepared mitigations of a repository: `.incident-room/mitigations.json`, written before the incident (a feature
 * flag, a traffic shift, a restart, …) so the responder picks the lowest-risk one instead of inventing a command at
 * 3 a.m. Pure: parsed and validated here; run like the rollback `command` strategy (mitigationPlan.ts). The same
 * rules live in media/mitigations.schema.json, which VS Code uses to complete and check the file as it is typed;
 * test/unit/git/mitigationCatalog.test.ts runs examples through both so they cannot drift apart.
 */

/** Where a repository keeps its catalog, relative to its root. */
export const CATALOG_PATH = '.incident-room/mitigations.json';

export const MITIGATION_KINDS = ['feature-flag', 'traffic-shift', 'bypass', 'load-shed', 'restart', 'scale', 'failover', 'custom'] as const;
export type MitigationKind = (typeof MITIGATION_KINDS)[number];

/** The wire's action for each catalog kind (`mitigation.started` carries the action, the catalog id and the risk). */
export const KIND_ACTIONS = {
  'feature-flag': 'feature_flag',
  'traffic-shift': 'traffic_shift',
  bypass: 'bypass',
  'load-shed': 'load_shed',
  restart: 'restart',
  scale: 'scale',
  failover: 'failover',
  custom: 'other',
} as const satisfies Record<MitigationKind, MitigationAction>;

/** Risk order, lowest first: the list and the picker show the lowest-risk mitigation first. */
export const RISK_ORDER: Readonly<Record<Risk, number>> = { low: 0, medium: 1, high: 2 };

/** An id: lower-case letters, digits, `.`, `_`, `-`; what `mitigation.started` records as `catalogId`. */
export const ID_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$';
/** A service name as the alerts label it (`service=checkout`). */
export const SERVICE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$';
const NAMES = COMMAND_PLACEHOLDERS.join('|');
/**
 * An argument: any text, where `$` starts either a known `${placeholder}` or something that is not one (`$HOME` is
 * passed literally, but `$ref` without braces is refused: it looks like a placeholder and would not be one).
 */
export const ARG_PATTERN = `^(?:[^$]|\\$(?!\\{|(?:${NAMES})(?![A-Za-z]))|\\$\\{(?:${NAMES})\\})*$`;
/** The program (argument 1): no placeholder at all, so the catalog, not a value, decides what runs. */
export const PROGRAM_PATTERN = '^[^\\s$][^$]*$';

export const MAX_ARGS = 64;
export const MAX_ARG_LENGTH = 4096;
export const MAX_ENTRIES = 200;

const argError = `a placeholder is one of \${${COMMAND_PLACEHOLDERS.join('} ${')}} written with braces`;
const Arg = z.string().max(MAX_ARG_LENGTH).regex(new RegExp(ARG_PATTERN), argError);
const Argv = z.array(Arg).min(1, 'at least the program').max(MAX_ARGS).superRefine((argv, ctx) => {
  const program = argv[0];
  if (program !== undefined && !new RegExp(PROGRAM_PATTERN).test(program)) {
    ctx.addIssue({ code: 'custom', path: [0], message: 'the program must be named plainly: not empty, no placeholder' });
  }
});

const Entry = z.strictObject({
  id: z.string().regex(new RegExp(ID_PATTERN), 'lower-case letters, digits, ".", "_" and "-", at most 64'),
  title: z.string().max(200).regex(/\S/, 'say what it does'),
  kind: z.enum(MITIGATION_KINDS),
  risk: z.enum(RISKS),
  caution: z.string().max(300).regex(/\S/, 'say in a line what can go wrong'),
  argv: Argv,
  undo: Argv.optional(),
  services: z.array(z.string().regex(new RegExp(SERVICE_PATTERN), 'a service name as the alerts label it')).max(50).optional(),
  verify: z.strictObject({
    watch: z.string().max(300).regex(/\S/, 'say what to watch afterwards'),
    dashboard: z.url({ protocol: /^https?$/ }).max(2000).optional(),
  }),
});
export type MitigationEntry = z.infer<typeof Entry>;

export const MitigationCatalog = z.strictObject({
  $schema: z.string().optional(),
  mitigations: z.array(Entry).max(MAX_ENTRIES),
}).superRefine((c, ctx) => {
  const seen = new Set<string>();
  c.mitigations.forEach((m, i) => {
    if (seen.has(m.id)) ctx.addIssue({ code: 'custom', path: ['mitigations', i, 'id'], message: `"${m.id}" is used by an earlier entry: ids must be unique` });
    seen.add(m.id);
  });
});
export type MitigationCatalog = z.infer<typeof MitigationCatalog>;

export type CatalogResult = { ok: true; catalog: MitigationCatalog } | { ok: false; message: string };

/**
 * Parse a catalog file's text. A problem is one sentence naming the entry (number and id) and the field, e.g.
 * `entry 2 ("restart-checkout"), risk: expected one of low, medium, high`.
 */
export function parseCatalog(text: string): CatalogResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: `not valid JSON (${e instanceof Error ? e.message : String(e)})` };
  }
  const parsed = MitigationCatalog.safeParse(raw);
  if (parsed.success) return { ok: true, catalog: parsed.data };
  const issue = parsed.error.issues[0];
  if (!issue) return { ok: false, message: 'invalid' };
  const missing = issue.code !== 'unrecognized_keys' && valueAt(raw, issue.path) === undefined;
  return { ok: false, message: `${where(raw, issue.path)}: ${missing ? `missing (${describe(issue)})` : describe(issue)}` };
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

function where(raw: unknown, path: readonly PropertyKey[]): string {
  if (path[0] !== 'mitigations' || typeof path[1] !== 'number') return path.length ? `field ${String(path[0])}` : 'the file';
  const entries = (raw as { mitigations?: unknown[] }).mitigations;
  const id = (entries?.[path[1]] as { id?: unknown } | undefined)?.id;
  const name = `entry ${path[1] + 1}${typeof id === 'string' && id ? ` ("${id}")` : ''}`;
  const rest = path.slice(2).map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  return rest ? `${name}, ${rest}` : name;
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type') return `expected ${issue.expected}`;
  if (issue.code === 'invalid_value') return `expected one of ${issue.values.map(String).join(', ')}`;
  return issue.message;
}
