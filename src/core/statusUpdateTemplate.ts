import { Limits } from '../protocol/codes';
import type { Audience, Status, Trend, UserShare } from '../protocol/events';
import { nextUpdateDueAt } from './cadence';
import { currentEta, etaClock, etaMoved } from './eta';
import type { IncidentState, StatusUpdate, TriageRecord } from './incidentState';
import { formatDuration, incidentMetrics } from './metrics';
import { facts, openMitigations, refutedGuesses } from './selectors';
import { DEFAULT_CADENCE, incidentSuggestion, type CadencePolicy } from './severityPolicy';
import { impactsOf, whoText } from './triageText';

export interface StatusUpdateOptions {
  /** When the update is being written (and would be posted). */
  readonly now: Date;
  /** IANA zone shown beside UTC for the internal audience (default: UTC only). External updates use UTC. */
  readonly timeZone?: string;
  /** Status-update cadence per severity (default: the severity policy's). */
  readonly cadence?: CadencePolicy;
  /** The ETA this update will carry (ISO), if any: the draft states it, and says so when it moves the last one. */
  readonly eta?: string;
}

/** A composed status update, ready to edit and post as `update.posted`. */
export interface StatusUpdateDraft {
  readonly audience: Audience;
  /** Plain text, at most `Limits.updateLength` characters. */
  readonly text: string;
  /** When the next update is due if this one is posted at `now` (post it as `nextUpdateBy`); null when none is due. */
  readonly nextUpdateBy: string | null;
}

/** Compose a status update for an audience: internal (facts, work in progress, names) or external (plain-language impact only). */
export function composeStatusUpdate(state: IncidentState, audience: Audience, options: StatusUpdateOptions): StatusUpdateDraft {
  const nextUpdateBy = nextUpdateAfterPosting(state, audience, options.now, options.cadence ?? DEFAULT_CADENCE);
  const text = audience === 'internal' ? internalText(state, nextUpdateBy, options) : externalText(state, nextUpdateBy, options);
  return { audience, text, nextUpdateBy };
}

/** When the next update falls due if one is posted at `now`: the cadence of the current severity, counted from `now`. */
export function nextUpdateAfterPosting(state: IncidentState, audience: Audience, now: Date, cadence: CadencePolicy = DEFAULT_CADENCE): string | null {
  // Ask the cadence about the incident as it will be once this update is on the log, so the rules stay in one place.
  const posted: StatusUpdate = { id: '', seq: state.headSeq + 1, at: now.toISOString(), by: state.declaredBy, audience, text: '' };
  return nextUpdateDueAt({ ...state, updates: [...state.updates, posted] }, cadence);
}

// ---- internal ----

const MAX_BULLETS = 10;
const MAX_BULLET_CHARS = 300;

/** How long it has been open; once resolved, how long it was (not "open for" a time that keeps growing). */
function openFor(detectedAt: string, resolvedAt: string | null, now: Date, at: (iso: string) => string): string {
  if (resolvedAt) return `resolved ${formatDuration(Date.parse(resolvedAt) - Date.parse(detectedAt))} after detection at ${at(detectedAt)}`;
  return `open for ${formatDuration(now.getTime() - Date.parse(detectedAt))} since detection at ${at(detectedAt)}`;
}

function internalText(s: IncidentState, nextUpdateBy: string | null, o: StatusUpdateOptions): string {
  const at = (iso: string) => clockTime(iso, o.timeZone);
  const m = incidentMetrics(s);
  const head = [
    `[${s.severity}] ${s.id} ${oneLine(s.title)} — ${s.status}`,
    [
      s.roles.commander.holder ? `Commander: ${s.roles.commander.holder.name}` : 'Commander: unassigned',
      m.detectedAt ? openFor(m.detectedAt, m.resolvedAt, o.now, at) : '',
    ].filter(Boolean).join(' · '),
  ];
  if (s.impact) head.push(`Impact: ${oneLine(s.impact)}`);
  const eta = etaLine(s, o.eta, 'internal');
  if (eta) head.push(eta);
  const triage = s.triage ? triageLines(s, s.triage, at) : ['Triage: not recorded yet.'];

  const known = bullets(facts(s).map((n) => n.text), 'earlier facts');
  for (const d of s.flaggedDeploys) known.push(`- Suspected deploy: ${d.ref} (${d.sha.slice(0, 7)})${d.reason ? ` — ${clip(d.reason)}` : ''}`);
  for (const n of refutedGuesses(s)) known.push(`- Ruled out: ${clip(n.text)}`);
  if (known.length === 0) known.push('- Nothing confirmed yet.');

  const doing = openMitigations(s).map((x) => `- ${ACTION_WORDS[x.action]} in progress: ${clip(x.description)} (since ${at(x.startedAt)})`);
  if (doing.length === 0) doing.push(`- ${STATUS_WORK[s.status]}`);

  const next = s.status === 'resolved'
    ? `Resolved${m.resolvedAt ? ` at ${at(m.resolvedAt)}` : ''}. This is the last update; a postmortem will follow.`
    : nextUpdateBy ? `Next update by ${at(nextUpdateBy)}.` : 'Next update when there is news.';
  return fit([...head, '', ...triage, '', 'What we know:', ...known, '', 'What we are doing:', ...doing], next);
}

/**
 * The latest triage, all of it: who, where (each kind named), trend, every impact with its evidence, the note, and
 * the severity it suggests when that is not the current one.
 */
function triageLines(s: IncidentState, t: TriageRecord, at: (iso: string) => string): string[] {
  const where = ([['regions', t.regions], ['routes', t.routes], ['tenants', t.tenants]] as const)
    .filter(([, xs]) => xs.length > 0).map(([name, xs]) => `${name} ${xs.join(', ')}`);
  const lines = [
    `Triage (${at(t.at)}, ${t.by.name}):`,
    `- Who: ${clip(whoText(t))}`,
    `- Where: ${where.length > 0 ? clip(where.join('; ')) : 'not narrowed down yet'}`,
    `- Trend: ${t.trend}`,
    ...impactsOf(t).map(({ label, check }) => `- ${label} impact: ${check.level}${check.evidence ? ` — ${clip(check.evidence)}` : ''}`),
  ];
  if (t.note) lines.push(`- Note: ${clip(t.note)}`);
  const suggestion = incidentSuggestion(s);
  if (suggestion?.differs && s.status !== 'resolved') lines.push(`- ${suggestion.text} (current ${s.severity})`);
  return lines;
}

const STATUS_WORK: Readonly<Record<Status, string>> = {
  investigating: 'Investigating the cause.',
  identified: 'Cause identified; preparing a mitigation.',
  mitigating: 'Applying a mitigation.',
  monitoring: 'Mitigation in place; monitoring recovery.',
  resolved: 'Resolved; no further work in progress.',
};

const ACTION_WORDS: Readonly<Record<IncidentState['mitigations'][number]['action'], string>> = {
  rollback: 'Rollback', feature_flag: 'Feature flag change', failover: 'Failover', restart: 'Restart', scale: 'Scaling', other: 'Mitigation',
  traffic_shift: 'Traffic shift', bypass: 'Dependency bypass', load_shed: 'Load shedding',
};

/** The newest `MAX_BULLETS` items as bullets, noting how many earlier ones were left out. */
function bullets(items: readonly string[], earlier: string): string[] {
  const shown = items.slice(-MAX_BULLETS).map((t) => `- ${clip(t)}`);
  const hidden = items.length - shown.length;
  return hidden > 0 ? [`- (${hidden} ${earlier} not shown)`, ...shown] : shown;
}

// ---- external ----

/** Plain language for customers: what they experience, since when, what we are doing in general terms. No names, ids or internals. */
function externalText(s: IncidentState, nextUpdateBy: string | null, o: StatusUpdateOptions): string {
  const since = s.impactStartedAt ?? s.detectedAt ?? (s.declaredAt || undefined);
  const lines = [
    `${EXTERNAL_HEADLINE[s.status]}`,
    '',
    s.impact ? `Impact: ${oneLine(s.impact)}` : 'Impact: some users may see errors or slower service.',
  ];
  if (s.triage) lines.push(...externalTriage(s.triage, s.status));
  if (since) lines.push(`${s.status === 'resolved' ? 'The issue began' : 'Since'} about ${clockTime(since)}.`);
  lines.push(EXTERNAL_BODY[s.status]);
  const eta = etaLine(s, o.eta, 'external');
  if (eta) lines.push(eta);
  const next = s.status === 'resolved'
    ? 'Thank you for your patience. This is our final update on this issue.'
    : nextUpdateBy ? `We will post another update by ${clockTime(nextUpdateBy)}.` : 'We will post another update as soon as we know more.';
  return fit(lines, next);
}

/**
 * Who and where, and whether it is spreading, in words for customers. Only the share of users, the responders'
 * words for who, and regions: routes are internals, and tenants are other customers' names, so neither goes out
 * (nor do counts or impacts). The draft is read and edited before it is posted.
 */
function externalTriage(t: TriageRecord, status: Status): string[] {
  const who = `${EXTERNAL_SHARE[t.users.share]}${t.users.text ? ` (${oneLine(t.users.text)})` : ''}`;
  const regions = t.regions.length === 0 ? '' : ` in ${t.regions.length === 1 ? t.regions[0] : `${t.regions.slice(0, -1).join(', ')} and ${t.regions.at(-1)}`}`;
  const lines = [t.users.share === 'unknown' && !t.users.text ? `We are still finding out which users are affected${regions}.` : `Affected: ${who}${regions}.`];
  const trend = status === 'resolved' ? '' : EXTERNAL_TREND[t.trend];
  if (trend) lines.push(trend);
  return lines;
}

const EXTERNAL_SHARE: Readonly<Record<UserShare, string>> = {
  unknown: 'some users', few: 'a small number of users', some: 'some users', most: 'most users', all: 'all users',
};

const EXTERNAL_TREND: Readonly<Record<Trend, string>> = {
  growing: 'The number of affected users is still growing.',
  stable: 'The impact is steady and not spreading.',
  shrinking: 'Fewer users are affected now; service is recovering.',
  unknown: '',
};

const EXTERNAL_HEADLINE: Readonly<Record<Status, string>> = {
  investigating: 'Investigating: we are looking into a problem affecting our service.',
  identified: 'Identified: we have found the cause of a problem affecting our service.',
  mitigating: 'Fix in progress: we are working to restore normal service.',
  monitoring: 'Monitoring: a fix is in place and we are watching the results.',
  resolved: 'Resolved: the problem affecting our service has been fixed.',
};

const EXTERNAL_BODY: Readonly<Record<Status, string>> = {
  investigating: 'Our engineers are investigating and will share more as soon as we know it.',
  identified: 'We know what is causing it and are working on a fix.',
  mitigating: 'We are applying a fix now.',
  monitoring: 'Service should be returning to normal. We are making sure it stays that way.',
  resolved: 'Service is operating normally again.',
};

// ---- ETA ----

/**
 * The update's ETA line: the estimate it carries, and "moved from" when it differs from the last one given (any
 * audience: the estimate is the incident's). Nothing without an ETA or once resolved. In UTC, like the rest of an
 * external update, so every reader reads the same time.
 */
function etaLine(s: IncidentState, eta: string | undefined, audience: Audience): string | undefined {
  if (!eta || s.status === 'resolved') return undefined;
  const before = currentEta(s.updates)?.eta;
  const moved = etaMoved(before, eta);
  if (audience === 'internal') {
    return moved ? `ETA moved from ${etaClock(before as string)} to ${etaClock(eta)} (estimate).` : `ETA: ${etaClock(eta)} (estimate).`;
  }
  return `We expect to restore normal service by about ${etaClock(eta)}${moved ? ` (ETA moved from ${etaClock(before as string)} to ${etaClock(eta)})` : ''}. This is an estimate.`;
}

// ---- text ----

/** `23:32 UTC`, plus the zone's own time when one is given: `23:32 UTC (00:32 Europe/Berlin)`. */
function clockTime(iso: string, timeZone?: string): string {
  const d = new Date(iso);
  const utc = `${d.toISOString().slice(11, 16)} UTC`;
  if (!timeZone || timeZone === 'UTC') return utc;
  const local = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
  return `${utc} (${local} ${timeZone})`;
}

/** Body lines, then the closing line, trimmed so the whole stays within the update length limit. */
function fit(body: readonly string[], closing: string): string {
  const text = `${body.join('\n')}\n\n${closing}`;
  if (text.length <= Limits.updateLength) return text;
  const room = Limits.updateLength - closing.length - 3;
  return `${body.join('\n').slice(0, room).replace(/\s+\S*$/, '')}…\n\n${closing}`;
}

const oneLine = (text: string): string => text.replace(/\s*[\r\n]+\s*/g, ' ').trim();

function clip(text: string): string {
  const line = oneLine(text);
  return line.length <= MAX_BULLET_CHARS ? line : `${line.slice(0, MAX_BULLET_CHARS - 1)}…`;
}
