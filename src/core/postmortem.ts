import type { NoteSource, SequencedEvent, SequencedEventOf, User } from '../protocol/events';
import { ROLES } from '../protocol/vocabulary';
import { movesUpdateDue, nextUpdateDueAt } from './cadence';
import type { IncidentState, Mitigation, Note, TriageRecord } from './incidentState';
import { formatDuration, incidentMetrics } from './metrics';
import { emptyIncident, fold } from './reducer';
import { decisions, facts, openGuesses, refutedGuesses, ROLE_LABELS } from './selectors';
import { ASSESSMENT_LABELS, NOTE_TAG_LABELS, resolutionChecklistText, sharedEventText, terminalOutcome, triageHeadline, type TextStyle } from './eventText';
import { describeLost } from './timelineText';
import { resolvedAfterMitigation } from './signals';
import { DEFAULT_CADENCE, SEVERITY_POLICY, suggestSeverity, type CadencePolicy } from './severityPolicy';
import { countOf, impactsOf, whoText } from './triageText';

export interface PostmortemOptions {
  /** The moment of writing: open action items due before the reader's today are marked overdue. */
  readonly now: Date;
  /** The reader's IANA time zone (e.g. `Europe/Berlin`); times are shown in it beside UTC. */
  readonly timeZone: string;
  /** Status-update cadence used to tell which updates were late (default: the severity policy's). */
  readonly cadence?: CadencePolicy;
  /** What (or who) is credited with generating the draft in its header, e.g. `Incident Room 0.1.0`. */
  readonly generatedBy?: string;
  /**
   * What each flagged (suspect) deploy changed, read from git by the extension (git/suspectDeployFiles.ts), for
   * "Where the incident touched the code"; absent, the section says the files were not read.
   */
  readonly suspectDeploys?: readonly SuspectDeployFiles[];
}

/** The files a suspect deploy changed, or why they could not be read. */
export interface SuspectDeployFiles {
  /** The flagged deploy's commit, as its `deploy.flagged` event named it. */
  readonly sha: string;
  readonly files?: readonly DeployFileTouch[];
  /** Why the files could not be read (no repository, commit not in this clone, Restricted Mode, a git error). */
  readonly unreadable?: string;
  /** What the files were compared with when not the deploy before it, e.g. `its parent commit (…)`. */
  readonly comparedWith?: string;
}

/** One file a suspect deploy changed: its new lines (1-based, inclusive), each with a permalink when there is one. */
export interface DeployFileTouch {
  readonly path: string;
  readonly status: 'added' | 'modified' | 'deleted' | 'renamed' | 'copied' | 'typeChanged';
  readonly oldPath?: string;
  readonly binary?: boolean;
  readonly ranges: readonly { readonly startLine: number; readonly endLine: number; readonly url?: string }[];
}

/**
 * Render a blameless Markdown postmortem draft of an incident.
 * People's names appear only in "Roles and handoffs", the timeline and as owners of action items
 * (an owner is who follows up, not who is at fault); every other section speaks of the system.
 */
export function renderPostmortem(state: IncidentState, options: PostmortemOptions): string {
  const clock = new ReaderClock(options.timeZone);
  const ctx: Ctx = { s: state, clock, now: options.now, cadence: options.cadence ?? DEFAULT_CADENCE, suspectDeploys: options.suspectDeploys };
  const sections = [
    header(ctx, options.generatedBy),
    summary(ctx),
    impact(ctx),
    detection(ctx),
    keyTimes(ctx),
    roles(ctx),
    workstreams(ctx),
    timeline(ctx),
    whatWasTried(ctx),
    resolution(ctx),
    trigger(ctx),
    rootCauseChain(ctx),
    contributingFactors(ctx),
    touchedCode(ctx),
    communication(ctx),
    teamSection('What went well', 'What helped detect, understand or fix this quickly? Which tools, alerts, runbooks or habits worked?'),
    teamSection('What went wrong', 'Where did the system, tooling or process make this harder? What would have shortened detection, diagnosis or recovery?'),
    teamSection('Where we got lucky', 'What kept this from being worse that we cannot count on next time (the time of day, who happened to be online, a spare capacity margin)?'),
    actionItems(ctx),
  ];
  return `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}

/** File name for the postmortem: `YYYY-MM-DD-INC-n-slug.md`, dated by the incident's declaration (UTC), or `now` before it. */
export function postmortemFileName(state: IncidentState, now: Date): string {
  const date = (state.declaredAt ? new Date(state.declaredAt) : now).toISOString().slice(0, 10);
  return `${date}-${state.id}-${slug(state.title)}.md`;
}

// ---- sections ----

interface Ctx {
  readonly s: IncidentState;
  readonly clock: ReaderClock;
  readonly now: Date;
  readonly cadence: CadencePolicy;
  readonly suspectDeploys: readonly SuspectDeployFiles[] | undefined;
}

function header({ s, clock, now }: Ctx, generatedBy: string | undefined): string[] {
  const when = clock.utc(now.toISOString());
  const by = generatedBy ? ` by ${md(generatedBy)}` : '';
  const lostCount = s.lost.reduce((n, l) => n + l.toSeq - l.fromSeq + 1, 0);
  return [
    `# Postmortem: ${s.id} — ${md(s.title || 'Untitled incident')}`,
    '',
    '> **Blameless draft.** This review describes what happened and how our systems and processes allowed it,',
    '> not who is at fault. Everyone involved acted on the best information they had at the time.',
    `> Generated${by} on ${when} UTC from the incident's ${s.timeline.length} recorded events; edit it freely.`,
    ...(lostCount > 0
      ? ['>', `> **${lostCount} ${lostCount === 1 ? 'entry was' : 'entries were'} lost** to storage damage on the incident channel; the timeline marks where. Fill in what you remember.`]
      : []),
  ];
}

function summary({ s, clock, now }: Ctx): string[] {
  const m = incidentMetrics(s);
  const peak = peakSeverity(s);
  const lines = ['## Summary', ''];
  if (s.symptom) lines.push(md(s.symptom), '');
  const sev = `${s.severity} (${SEVERITY_POLICY[s.severity].label})`;
  lines.push(`- **Severity:** ${peak !== s.severity ? `${sev} at the end; peaked at ${peak} (${SEVERITY_POLICY[peak].label})` : sev}`);
  if (m.resolvedAt) {
    lines.push(`- **Status:** resolved at ${clock.utc(m.resolvedAt)} UTC, ${formatDuration(m.timeToResolveMs)} after detection.`);
  } else {
    lines.push(`- **Status:** still ${s.status} as of ${clock.utc(now.toISOString())} UTC (not resolved).`);
  }
  if (s.flaggedDeploys.length > 0) {
    lines.push(`- **Suspected deploys:** ${s.flaggedDeploys.map((d) => `${code(d.ref)} (${code(d.sha.slice(0, 7))})`).join(', ')}`);
  }
  const worked = s.mitigations.filter((x) => x.state === 'succeeded');
  if (worked.length > 0) lines.push(`- **Mitigated by:** ${worked.map((x) => `${actionLabel(x)}: ${md(x.description)}`).join('; ')}`);
  return lines;
}

function impact({ s, clock }: Ctx): string[] {
  const lines = [
    '## Impact',
    '',
    `- **Scope:** ${s.scope ? md(s.scope) : '_not recorded_'}`,
    `- **Impact:** ${s.impact ? md(s.impact) : '_not recorded_'}`,
    `- **Impact started:** ${s.impactStartedAt ? clock.both(s.impactStartedAt) : '_not recorded_'}`,
    '',
    ...triage(s, clock),
    '',
    '### Severity history',
    '',
    '| Since (UTC) | Severity | Reason |',
    '|---|---|---|',
  ];
  for (const c of s.severityHistory) {
    const reason = c.seq === s.severityHistory[0]?.seq && c.note === undefined ? 'Declared' : c.note ? md(c.note) : '—';
    lines.push(`| ${clock.utc(c.at)} | ${c.value} (${SEVERITY_POLICY[c.value].label}) | ${reason} |`);
  }
  return lines;
}

/**
 * The triage: the latest in full (who, where, trend, each impact with its evidence, the severity it suggested), then
 * how it changed, one row per record, when there was more than one. No names: blameless, as outside the timeline.
 */
function triage(s: IncidentState, clock: ReaderClock): string[] {
  const t = s.triage;
  const lines = ['### Triage', ''];
  if (!t) return [...lines, '_No triage was recorded._'];
  const n = s.triageHistory.length;
  const suggestion = suggestSeverity(t);
  lines.push(
    n > 1 ? `The latest of ${n} triages, recorded at ${clock.utc(t.at)} UTC:` : `Recorded at ${clock.utc(t.at)} UTC:`,
    '',
    `- **Users affected:** ${md(whoText(t))}`,
    `- **Where:** ${scopeOf(t) || '_not narrowed down_'}`,
    `- **Trend:** ${t.trend}`,
    ...impactsOf(t).map(({ label, check }) => `- **${label} impact:** ${check.level}${check.evidence ? ` — ${md(check.evidence)}` : ''}`),
    ...(t.note ? [`- **Note:** ${md(t.note)}`] : []),
    `- **Severity it suggested:** ${suggestion.severity} (${SEVERITY_POLICY[suggestion.severity].label}): ${md(suggestion.reasons.join('; '))}`,
  );
  if (n < 2) return lines;
  lines.push('', '#### How the triage changed', '', '| Recorded (UTC) | Users | Where | Trend | Customer | Financial | Data integrity | Suggested |', '|---|---|---|---|---|---|---|---|');
  for (const r of s.triageHistory) {
    const users = md(`${r.users.share}${r.users.count !== undefined ? ` (~${countOf(r.users.count)})` : ''}`);
    lines.push(`| ${clock.utc(r.at)} | ${users} | ${scopeOf(r) || '—'} | ${r.trend} | ${r.customer.level} | ${r.financial.level} | ${r.dataIntegrity.level} | ${suggestSeverity(r).severity} |`);
  }
  return lines;
}

/** `regions eu-west-1; routes /pay; tenants acme` (escaped), or '' when none was named. */
function scopeOf(t: TriageRecord): string {
  return ([['regions', t.regions], ['routes', t.routes], ['tenants', t.tenants]] as const)
    .filter(([, xs]) => xs.length > 0).map(([name, xs]) => `${name} ${md(xs.join(', '))}`).join('; ');
}

function keyTimes({ s, clock }: Ctx): string[] {
  const m = incidentMetrics(s);
  const row = (label: string, at: string | null) => `| ${label} | ${clock.cells(at)} |`;
  return [
    '## Key times',
    '',
    `| Milestone | ${clock.headers()} |`,
    `|---|${clock.rules()}|`,
    row('Impact started', m.impactStartedAt),
    row(s.detectedAt ? 'Detected' : 'Detected (not recorded; taken as declared)', m.detectedAt),
    row('Declared', m.declaredAt),
    row('First mitigation started', m.firstMitigationAt),
    row('Mitigated', m.mitigatedAt),
    row('Resolved', m.resolvedAt),
    '',
    '| Measure | Duration |',
    '|---|---|',
    `| Time to detect (impact started → detected) | ${formatDuration(m.timeToDetectMs)} |`,
    `| Time to declare (detected → declared) | ${formatDuration(m.timeToDeclareMs)} |`,
    `| Time to mitigate (detected → mitigated) | ${formatDuration(m.timeToMitigateMs)} |`,
    `| Time to resolve (detected → resolved) | ${formatDuration(m.timeToResolveMs)} |`,
  ];
}

function roles({ s, clock }: Ctx): string[] {
  const lines = [
    '## Roles and handoffs',
    '',
    '| Role | Held by | Assigned by | From (UTC) | Until (UTC) | Handoff brief |',
    '|---|---|---|---|---|---|',
  ];
  for (const role of ROLES) {
    const { history } = s.roles[role];
    if (history.length === 0) {
      lines.push(`| ${ROLE_LABELS[role]} | _never assigned_ | — | — | — | — |`);
      continue;
    }
    for (const t of history) {
      const until = t.renouncedAt ? clock.utc(t.renouncedAt) : 'still holding';
      lines.push(`| ${ROLE_LABELS[role]} | ${name(t.user)} | ${name(t.assignedBy)} | ${clock.utc(t.assumedAt)} | ${until} | ${t.brief ? md(t.brief) : '—'} |`);
    }
  }
  return lines;
}

function timeline({ s, clock }: Ctx): string[] {
  const first = s.timeline[0]?.at;
  const offset = first ? ` (${clock.offset(first)} when the incident began)` : '';
  const lines = [
    '## Timeline',
    '',
    clock.isUtc
      ? 'Times are shown in UTC, the reader\'s time zone. # is the order in which the incident channel recorded each entry.'
      : `Times are shown in UTC and in ${md(clock.timeZone)}, the reader's time zone${offset}. # is the order in which the incident channel recorded each entry.`,
    '',
    `| # | ${clock.headers()} | Who | What |`,
    `|---|${clock.rules()}|---|---|`,
  ];
  const notes = new Map(s.notes.map((n) => [n.id, n]));
  const mitigations = new Map<string, string>();
  let l = 0;
  // Seqs the channel lost to storage damage stand where they were, as what they are: nobody knows who wrote what, or when.
  const lostBefore = (seq: number) => {
    for (; l < s.lost.length && s.lost[l]!.fromSeq < seq; l++) {
      const range = s.lost[l]!;
      const seqs = range.fromSeq === range.toSeq ? `${range.fromSeq}` : `${range.fromSeq}–${range.toSeq}`;
      lines.push(`| ${seqs} | — | — | — | **${md(describeLost(range))}**: the incident channel could not read them back |`);
    }
  };
  for (const e of s.timeline) {
    lostBefore(e.seq);
    if (e.kind === 'mitigation.started') mitigations.set(e.data.mitigationId, e.data.description);
    lines.push(`| ${e.seq} | ${clock.cells(e.at)} | ${name(e.actor)} | ${describe(e, notes, mitigations, s.mitigations)} |`);
  }
  lostBefore(Number.POSITIVE_INFINITY);
  return lines;
}

/** The postmortem's words are Markdown: user text escaped, the point of an entry in bold. */
const MARKDOWN: TextStyle = {
  text: md,
  strong: (s) => `**${s}**`,
  aside: (s) => `: ${md(s)}`,
  brief: (s) => ` — handoff brief: ${md(s)}`,
  source: (src) => ` — ${sourceLink(src)}`,
};

function describe(e: SequencedEvent, notes: ReadonlyMap<string, Note>, mitigations: ReadonlyMap<string, string>, all: readonly Mitigation[]): string {
  switch (e.kind) {
    case 'incident.declared':
      return `${sharedEventText(e, MARKDOWN)}${e.data.detectedAt ? ` (detected ${isoUtc(e.data.detectedAt)} UTC)` : ''}`;
    case 'severity.changed':
    case 'status.changed':
    case 'role.assigned':
    case 'note.added':
      return sharedEventText(e, MARKDOWN);
    case 'incident.updated': {
      const d = e.data;
      const parts: string[] = [];
      if (d.title !== undefined) parts.push(`title: ${md(d.title)}`);
      if (d.symptom !== undefined) parts.push(`symptom: ${md(d.symptom)}`);
      if (d.scope !== undefined) parts.push(`scope: ${md(d.scope)}`);
      if (d.impact !== undefined) parts.push(`impact: ${md(d.impact)}`);
      if (d.detectedAt !== undefined) parts.push(`detected at ${isoUtc(d.detectedAt)} UTC`);
      if (d.impactStartedAt !== undefined) parts.push(`impact started at ${isoUtc(d.impactStartedAt)} UTC`);
      return `Updated ${parts.join('; ') || 'details'}`;
    }
    case 'note.retagged': {
      const note = notes.get(e.data.noteId);
      const from = note ? tagBefore(note, e.seq) : undefined;
      const what = note ? `${from ? NOTE_TAG_LABELS[from] : 'Note'} “${md(truncate(note.text, 120))}”` : 'A note';
      return `${what} retagged as **${NOTE_TAG_LABELS[e.data.tag].toLowerCase()}**`;
    }
    case 'deploy.flagged':
      return `Flagged deploy ${md(e.data.ref)} (${e.data.sha.slice(0, 7)})${e.data.subject ? ` “${md(e.data.subject)}”` : ''} as suspect${e.data.reason ? `: ${md(e.data.reason)}` : ''}`;
    case 'mitigation.started':
      return `Started ${MITIGATION_LABELS[e.data.action].toLowerCase()}: ${md(e.data.description)}`;
    case 'mitigation.finished': {
      const what = mitigations.get(e.data.mitigationId);
      const detail = e.data.detail ? `: ${md(truncate(firstLine(e.data.detail), 200))}` : '';
      return `${what ? `“${md(what)}”` : 'A mitigation'} **${e.data.result}**${detail}`;
    }
    case 'update.posted':
      return `Posted ${e.data.audience} status update: ${md(e.data.text)}`;
    case 'action.added':
      return `Action item added: ${md(e.data.title)}`;
    case 'action.updated': {
      if (e.data.done === true) return 'Action item done';
      if (e.data.done === false) return 'Action item reopened';
      return `Action item updated${e.data.title !== undefined ? `: ${md(e.data.title)}` : ''}`;
    }
    case 'triage.recorded':
      return `Triage recorded: ${md(triageHeadline(e.data))}`;
    case 'signal.linked':
      return `Alert **${md(e.data.alertname)}** linked${e.data.summary ? `: ${md(e.data.summary)}` : ''} (firing since ${isoUtc(e.data.startsAt)} UTC)`;
    case 'signal.resolved': {
      // Did it help? The mitigation that finished last before monitoring saw the alert end.
      const after = resolvedAfterMitigation(e.data.endsAt, all);
      return `Alert **${md(e.data.alertname)}** resolved at ${isoUtc(e.data.endsAt)} UTC${after ? `, ${md(after)}` : ''}`;
    }
    case 'escalation.requested':
      return `Escalated (paged more help): ${md(e.data.reason)}`;
    case 'mitigation.assessed': {
      const what = mitigations.get(e.data.mitigationId);
      return `${what ? `“${md(what)}”` : 'A mitigation'} assessed: **${ASSESSMENT_LABELS[e.data.assessment]}**${e.data.evidence ? `: ${md(e.data.evidence)}` : ''}`;
    }
    case 'workstream.opened':
      return `Workstream opened (${e.data.kind}): ${md(e.data.title)}, owner ${md(e.data.owner.name)}`;
    case 'workstream.updated':
      return `Workstream ${e.data.state ?? 'updated'}${e.data.owner ? `, owner now ${md(e.data.owner.name)}` : ''}${e.data.note ? `: ${md(e.data.note)}` : ''}`;
    case 'resolution.checked':
      return `Resolve checklist: ${resolutionChecklistText(e.data)}`;
    case 'terminal.command':
      return `Ran in a terminal: ${md(e.data.commandLine)}${md(terminalOutcome(e.data))}`;
  }
}

function whatWasTried({ s, clock }: Ctx): string[] {
  const lines = ['## What was tried', ''];
  if (s.mitigations.length === 0) lines.push('_No mitigation was recorded._');
  for (const m of [...s.mitigations].sort((a, b) => a.startedSeq - b.startedSeq)) {
    const result = m.state === 'open' ? 'still open' : m.state;
    lines.push(`- **${actionLabel(m)}:** ${md(m.description)} — **${result}**\\`);
    const facts: string[] = [];
    if (m.target?.ref || m.target?.sha) {
      facts.push(`target ${[m.target.ref ? code(m.target.ref) : '', m.target.sha ? `at ${code(m.target.sha.slice(0, 12))}` : ''].filter(Boolean).join(' ')}`);
    }
    // A rollback of several steps records one command a line: each is its own code span on its own line, so none
    // runs into the next and each can be copied alone.
    const commands = (m.command ?? '').split(/\r\n|\r|\n/).map((c) => c.trim()).filter(Boolean);
    if (commands.length === 1) facts.push(`command ${code(commands[0] as string)}`);
    const finished = m.finishedAt ? `, finished ${clock.utc(m.finishedAt)} UTC (after ${formatDuration(Date.parse(m.finishedAt) - Date.parse(m.startedAt))})` : '';
    facts.push(`started ${clock.utc(m.startedAt)} UTC${finished}`);
    const more = [
      ...(commands.length > 1 ? [`commands (${commands.length}, in order):`, ...commands.map(code)] : []),
      ...m.assessments.map((a) => `did it help? **${ASSESSMENT_LABELS[a.assessment]}**${a.evidence ? ` — ${md(a.evidence)}` : ''} (${clock.utc(a.at)} UTC)`),
    ];
    if ((m.state === 'succeeded' || m.state === 'failed') && m.assessments.length === 0) more.push('did it help? _not assessed_');
    // Markdown hard breaks (a trailing backslash) keep each on its own line inside the list item.
    [facts.join(' · '), ...more].forEach((l, i, all) => lines.push(`  ${l}${i < all.length - 1 ? '\\' : ''}`));
    if (m.detail) lines.push('', ...fenced(m.detail).map((l) => `  ${l}`));
    lines.push('');
  }
  const made = decisions(s);
  lines.push('### Decisions', '');
  if (made.length === 0) lines.push('_No decision was recorded._');
  for (const n of made) lines.push(`- ${clock.utc(n.at)} UTC — ${md(n.text)}${n.source ? ` (${sourceLink(n.source)})` : ''}`);
  return lines;
}

/**
 * Detection, signal → declared: the alerts linked to the incident (when each fired, and resolved), then when the
 * first alert fired, the incident was detected and declared, and the times between.
 */
function detection({ s, clock }: Ctx): string[] {
  const m = incidentMetrics(s);
  const signals = linkedSignals(s);
  const lines = ['## Detection', ''];
  if (signals.length === 0) {
    lines.push('_No alert was linked to the incident. How was it noticed (a customer report, a person looking, an alert that was not linked)? Would an alert have caught it sooner?_');
  } else {
    lines.push(`${plural(signals.length, 'alert')} linked to the incident:`, '', '| Alert | Summary | Firing since (UTC) | Resolved (UTC) |', '|---|---|---|---|');
    for (const x of signals) lines.push(`| ${md(x.alertname)} | ${x.summary ? md(x.summary) : '—'} | ${clock.utc(x.startsAt)} | ${x.endsAt ? clock.utc(x.endsAt) : 'still firing'} |`);
  }
  const firstAlert = signals.length > 0 ? signals.reduce((a, b) => (Date.parse(b.startsAt) < Date.parse(a.startsAt) ? b : a)).startsAt : null;
  const row = (label: string, at: string | null) => `| ${label} | ${clock.cells(at)} |`;
  const since = (from: string | null, to: string | null) => formatDuration(from && to ? Date.parse(to) - Date.parse(from) : null);
  lines.push(
    '',
    `| Signal → declared | ${clock.headers()} |`,
    `|---|${clock.rules()}|`,
    row('Impact started', m.impactStartedAt),
    row('First alert fired', firstAlert),
    row(s.detectedAt ? 'Detected' : 'Detected (not recorded; taken as declared)', m.detectedAt),
    row('Declared', m.declaredAt),
    '',
    '| Measure | Duration |',
    '|---|---|',
    `| Time to alert (impact started → first alert) | ${since(m.impactStartedAt, firstAlert)} |`,
    `| Alert to declared (first alert → declared) | ${since(firstAlert, m.declaredAt)} |`,
    `| Time to detect (impact started → detected) | ${formatDuration(m.timeToDetectMs)} |`,
    `| Time to declare (detected → declared) | ${formatDuration(m.timeToDeclareMs)} |`,
  );
  return lines;
}

interface LinkedSignal { readonly fingerprint: string; readonly alertname: string; readonly summary?: string; readonly startsAt: string; readonly endsAt?: string }

/** The alerts linked to the incident, in the order they were first linked, each with its latest resolution. */
function linkedSignals(s: IncidentState): LinkedSignal[] {
  const byFingerprint = new Map<string, LinkedSignal>();
  for (const e of s.timeline) {
    if (e.kind === 'signal.linked') {
      const { fingerprint, alertname, summary, startsAt } = e.data;
      const seen = byFingerprint.get(fingerprint);
      // Linked again after it fired again: the earlier start stays (the incident began with it), the end is reopened.
      byFingerprint.set(fingerprint, { fingerprint, alertname, startsAt: seen?.startsAt ?? startsAt, ...(summary ? { summary } : {}) });
    }
    if (e.kind === 'signal.resolved') {
      const seen = byFingerprint.get(e.data.fingerprint);
      if (seen) byFingerprint.set(e.data.fingerprint, { ...seen, endsAt: e.data.endsAt });
    }
  }
  return [...byFingerprint.values()];
}

/** Workstreams: what each was for, its one owner (who followed it, not who is at fault), and how it ended. */
function workstreams({ s, clock }: Ctx): string[] {
  const lines = ['## Workstreams', ''];
  if (s.workstreams.length === 0) return [...lines, '_No workstream was opened._'];
  lines.push('| Workstream | Kind | Owner | Opened (UTC) | State | Since (UTC) |', '|---|---|---|---|---|---|');
  for (const w of s.workstreams) {
    const handedOver = w.history.filter((c) => c.owner).length;
    const owner = `${name(w.owner)}${handedOver ? ` (owner changed ${handedOver === 1 ? 'once' : `${handedOver} times`})` : ''}`;
    lines.push(`| ${md(w.title)} | ${w.kind} | ${owner} | ${clock.utc(w.openedAt)} | ${w.state} | ${w.state === 'open' ? '—' : clock.utc(w.updatedAt)} |`);
  }
  return lines;
}

/**
 * Resolution: the resolve checklist as the responder answered it (the latest, before the incident was resolved), and
 * the mitigation that ended it, with whether it helped.
 */
function resolution({ s, clock }: Ctx): string[] {
  const lines = ['## Resolution', ''];
  const resolvedAt = incidentMetrics(s).resolvedAt;
  const checks = s.timeline.filter((e): e is SequencedEventOf<'resolution.checked'> => e.kind === 'resolution.checked');
  const last = checks.at(-1);
  if (!resolvedAt) lines.push(`_Not resolved yet (still ${s.status})._`);
  if (last) {
    const d = last.data;
    const yes = (ok: boolean, text: string) => `- [${ok ? 'x' : ' '}] ${text}${ok ? '' : ' — **no**'}`;
    const firing = d.firingSignals?.length ?? 0;
    lines.push(
      `${checks.length > 1 ? `The latest of ${checks.length} resolve checklists, answered` : 'The resolve checklist, answered'} at ${clock.utc(last.at)} UTC:`,
      '',
      yes(d.impactStopped, `Impact has stopped${firing ? ` (${plural(firing, 'linked alert')} still firing then)` : ''}`),
      yes(d.monitored, 'Watched it hold in monitoring'),
      yes(d.rootCauseKnown, 'Root cause known'),
      yes(d.followUpFiled, 'Follow-up filed'),
      ...(d.note ? ['', `Why: ${md(d.note)}`] : []),
    );
  } else if (resolvedAt) {
    lines.push('_Resolved without the resolve checklist._');
  }
  const final = [...s.mitigations].filter((m) => m.state === 'succeeded' && m.finishedAt)
    .sort((a, b) => Date.parse(a.finishedAt as string) - Date.parse(b.finishedAt as string)).at(-1);
  lines.push('');
  if (final) {
    const latest = final.assessments.at(-1);
    lines.push(`- **Final mitigation:** ${actionLabel(final)}: ${md(final.description)}, finished ${clock.utc(final.finishedAt as string)} UTC${latest ? `; did it help? **${ASSESSMENT_LABELS[latest.assessment]}**${latest.evidence ? ` — ${md(latest.evidence)}` : ''}` : ''}`);
  } else {
    lines.push('- **Final mitigation:** _none recorded as succeeded_');
  }
  const resolvedNote = [...s.statusHistory].reverse().find((c) => c.value === 'resolved')?.note;
  if (resolvedAt) lines.push(`- **Resolved:** ${clock.utc(resolvedAt)} UTC${resolvedNote ? `: ${md(resolvedNote)}` : ''}`);
  return lines;
}

/** Notes whose tag is now `tag`, in the order they were recorded. */
const tagged = (s: IncidentState, tag: Note['tag']): Note[] => s.notes.filter((n) => n.tag === tag).sort((a, b) => a.seq - b.seq);

const noteLine = (n: Note): string => `${md(n.text)}${n.source ? ` (${sourceLink(n.source)})` : ''}`;

/** Trigger: what set the incident off (notes tagged `trigger`), kept apart from why the system let it hurt. */
function trigger({ s, clock }: Ctx): string[] {
  const lines = ['## Trigger', ''];
  const notes = tagged(s, 'trigger');
  if (notes.length === 0) {
    lines.push('_No trigger was recorded (tag a note `trigger`). What set it off: a deploy, a config change, traffic, a dependency?_');
    if (s.flaggedDeploys.length > 0) lines.push('', `Suspected during the incident: ${s.flaggedDeploys.map((d) => `deploy ${code(d.ref)}`).join(', ')}.`);
  }
  for (const n of notes) lines.push(`- ${noteLine(n)} — ${clock.utc(n.at)} UTC`);
  return lines;
}

/** Root-cause chain: the notes tagged `root-cause`, in the order they were established, each a link of the chain. */
function rootCauseChain({ s }: Ctx): string[] {
  const lines = ['## Root-cause chain', ''];
  const notes = tagged(s, 'root-cause');
  if (notes.length === 0) return [...lines, '_No root cause was recorded (tag notes `root-cause`, one per link of the chain). Ask "why?" until the answer is about the system, not a person._'];
  lines.push('_Each link, as the responders established it; the review checks each "because"._', '');
  notes.forEach((n, i) => lines.push(`${i + 1}. ${noteLine(n)}`));
  return lines;
}

function contributingFactors({ s, clock }: Ctx): string[] {
  const lines = [
    '## Contributing factors',
    '',
    '_Seeded from what the responders established during the incident. Rewrite as the team\'s analysis of how the system allowed this to happen._',
    '',
  ];
  const contributing = tagged(s, 'contributing');
  if (contributing.length > 0) {
    lines.push('### Named during the incident', '');
    for (const n of contributing) lines.push(`- ${noteLine(n)}`);
    lines.push('');
  }
  lines.push('### Established facts', '');
  const known = facts(s);
  if (known.length === 0) lines.push('_No facts were recorded._');
  for (const n of known) lines.push(`- ${md(n.text)}${n.source ? ` (${sourceLink(n.source)})` : ''}`);
  if (s.flaggedDeploys.length > 0) {
    lines.push('', '### Suspected changes', '');
    for (const d of s.flaggedDeploys) {
      lines.push(`- Deploy ${code(d.ref)} at ${code(d.sha.slice(0, 12))}${d.subject ? ` “${md(d.subject)}”` : ''}${d.reason ? `: ${md(d.reason)}` : ''}`);
    }
  }
  lines.push('', '### Ruled out', '');
  const refuted = refutedGuesses(s);
  if (refuted.length === 0) lines.push('_No hypothesis was ruled out._');
  for (const n of refuted) {
    const when = [...n.tagHistory].reverse().find((t) => t.tag === 'refuted')?.at ?? n.at;
    lines.push(`- ${md(n.text)} — ruled out at ${clock.utc(when)} UTC`);
  }
  const open = openGuesses(s);
  if (open.length > 0) {
    lines.push('', '### Still unconfirmed', '');
    for (const n of open) lines.push(`- ${md(n.text)}`);
  }
  return lines;
}

/** Files a suspect deploy changed shown per deploy, and line ranges per file: past these the diff view has the rest. */
const TOUCHED_FILES_MAX = 50;
const TOUCHED_RANGES_MAX = 8;
const TOUCH_ORDER = { deploy: 0, captured: 1, anchored: 2 } as const;

/**
 * Where the incident touched the code: the lines captured (scribe notes with code), anchored (action items from a
 * selection) and changed by each suspect deploy, grouped by file (paths in code-point order, then by line and kind),
 * each linked to its lines at the commit when the remote has a web page. The deploys' files come from git through
 * the extension; when they could not be read the section says why and still lists what the events hold.
 */
function touchedCode({ s, suspectDeploys }: Ctx): string[] {
  const lines = ['## Where the incident touched the code', ''];
  type Touch = { readonly line: number; readonly kind: keyof typeof TOUCH_ORDER; readonly seq: number; readonly text: string };
  const byFile = new Map<string, Touch[]>();
  const add = (file: string, t: Touch): void => {
    const list = byFile.get(file);
    if (list) list.push(t);
    else byFile.set(file, [t]);
  };
  for (const n of s.notes) {
    if (n.source) add(n.source.path, { line: n.source.startLine, kind: 'captured', seq: n.seq, text: `${linesText(n.source)} — captured (${md(NOTE_TAG_LABELS[n.tag].toLowerCase())}): ${md(truncate(firstLine(n.text), 200))} — ${sourceLink(n.source)}` });
  }
  for (const a of s.actions) {
    if (!a.source) continue;
    const state = a.done ? 'done' : `open${a.owner ? `, owner ${name(a.owner)}` : ''}${a.due ? `, due ${a.due}` : ''}`;
    add(a.source.path, { line: a.source.startLine, kind: 'anchored', seq: a.seq, text: `${linesText(a.source)} — action item anchored here (${state}): ${md(truncate(firstLine(a.title), 200))} — ${sourceLink(a.source)}` });
  }
  const notes: string[] = [];
  for (const d of s.flaggedDeploys) {
    const deployName = `suspect deploy ${code(d.ref)} (${code(d.sha.slice(0, 7))})`;
    const read = suspectDeploys?.find((r) => r.sha === d.sha);
    if (!read) {
      notes.push(`- The files changed by ${deployName} were not read: the draft was made without git.`);
      continue;
    }
    if (read.unreadable !== undefined || !read.files) {
      notes.push(`- The files changed by ${deployName} could not be read: ${md(read.unreadable ?? 'no answer from git')}.`);
      continue;
    }
    if (read.comparedWith) notes.push(`- ${upperFirst(deployName)}: compared with ${md(read.comparedWith)}.`);
    const files = [...read.files].sort((a, b) => cmp(a.path, b.path));
    if (files.length === 0) notes.push(`- ${upperFirst(deployName)} changed no file.`);
    for (const f of files.slice(0, TOUCHED_FILES_MAX)) {
      const ranges = f.ranges.slice(0, TOUCHED_RANGES_MAX).map((r) => {
        const label = r.startLine === r.endLine ? `line ${r.startLine}` : `lines ${r.startLine}–${r.endLine}`;
        const url = r.url ? webUrl(r.url) : null;
        return url ? `[${label}](${url})` : label;
      });
      if (f.ranges.length > TOUCHED_RANGES_MAX) ranges.push(`${f.ranges.length - TOUCHED_RANGES_MAX} more`);
      const how = f.status === 'deleted' ? 'deleted by' : f.status === 'renamed' && f.oldPath ? `renamed from ${md(f.oldPath)} by` : f.status === 'added' ? 'added by' : 'changed by';
      const what = f.binary ? ' (binary)' : ranges.length > 0 ? `: ${ranges.join(', ')}` : f.status === 'deleted' ? '' : ' (lines removed only)';
      add(f.path, { line: f.ranges[0]?.startLine ?? 0, kind: 'deploy', seq: d.seq, text: `${f.ranges[0] ? linesText(f.ranges[0]) : 'The file'} — ${how} ${deployName}${what}` });
    }
    if (files.length > TOUCHED_FILES_MAX) notes.push(`- ${upperFirst(deployName)} changed ${plural(files.length - TOUCHED_FILES_MAX, 'more file')} than listed here (Incident: Open Deploy Diff shows them all).`);
  }
  if (byFile.size === 0 && notes.length === 0) return [...lines, '_No code was captured, anchored or flagged during this incident._'];
  lines.push('_The lines the responders captured or anchored action items to, and what the suspect deploys changed, file by file; links go to the lines at their commit._', '');
  if (notes.length > 0) lines.push(...notes, '');
  for (const file of [...byFile.keys()].sort(cmp)) {
    const touches = (byFile.get(file) as Touch[]).sort((a, b) => a.line - b.line || TOUCH_ORDER[a.kind] - TOUCH_ORDER[b.kind] || a.seq - b.seq);
    lines.push(`**${md(file)}**`, '', ...touches.map((t) => `- ${t.text}`), '');
  }
  while (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

const upperFirst = (t: string): string => `${t.charAt(0).toUpperCase()}${t.slice(1)}`;

/** `Line 12` or `Lines 12–18`. */
function linesText(r: { readonly startLine: number; readonly endLine: number }): string {
  return r.startLine === r.endLine ? `Line ${r.startLine}` : `Lines ${r.startLine}–${r.endLine}`;
}

/** Code-point order: the same on every machine, unlike localeCompare. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function communication({ s, clock, cadence, now }: Ctx): string[] {
  const lines = ['## Communication', ''];
  const internal = s.updates.filter((u) => u.audience === 'internal').length;
  const external = s.updates.length - internal;
  lines.push(`- Status updates posted: ${internal} internal, ${external} external.`);
  const severities = [...new Set(s.severityHistory.map((c) => c.value))].sort();
  const expected = severities.map((sev) => `${sev} ${cadence[sev] ? `every ${cadence[sev]} min` : 'no fixed cadence'}`);
  if (expected.length > 0) lines.push(`- Expected cadence: ${expected.join(', ')}.`);
  const missed = missedUpdates(s, cadence, now);
  if (missed.length === 0 && s.updates.length > 0) lines.push('- Every update went out by the time it was due.');
  for (const m of missed) {
    lines.push(m.nextAt
      ? `- An update was due by ${clock.utc(m.dueAt)} UTC; the next one went out at ${clock.utc(m.nextAt)} UTC (${formatDuration(Date.parse(m.nextAt) - Date.parse(m.dueAt))} after it was due).`
      : `- An update was due by ${clock.utc(m.dueAt)} UTC; none followed.`);
  }
  return lines;
}

function teamSection(title: string, prompt: string): string[] {
  return [`## ${title}`, '', `_For the team to fill in at the review: ${prompt}_`];
}

function actionItems({ s, clock, now }: Ctx): string[] {
  const lines = ['## Action items', ''];
  if (s.actions.length === 0) return [...lines, '_No action item was recorded yet._'];
  lines.push('| # | Action | Owner | Due | State |', '|---|---|---|---|---|');
  const today = clock.localDate(now.toISOString());
  s.actions.forEach((a, i) => {
    let state: string;
    if (a.done) state = `Done${a.doneAt ? ` (${a.doneAt.slice(0, 10)})` : ''}`;
    else if (a.due && a.due < today) state = `**Overdue** by ${plural(daysBetween(a.due, today), 'day')}`;
    else if (a.due && a.due === today) state = 'Open, due today';
    else state = 'Open';
    lines.push(`| ${i + 1} | ${md(a.title)} | ${a.owner ? name(a.owner) : '_unassigned_'} | ${a.due ?? '—'} | ${state} |`);
  });
  return lines;
}

// ---- facts derived from the state ----

function peakSeverity(s: IncidentState): IncidentState['severity'] {
  let peak = s.severity;
  for (const c of s.severityHistory) if (c.value < peak) peak = c.value; // 'SEV1' < 'SEV2': lower number is worse
  return peak;
}

interface MissedUpdate { readonly dueAt: string; readonly nextAt: string | null }

/**
 * Deadlines of the status-update cadence that passed with no update: replays the log, recomputing the due time
 * whenever it can change (declared, update posted, severity or status changed), and notes each due time that
 * some later entry — or `now`, while the incident is open — went past before an update was posted.
 */
function missedUpdates(s: IncidentState, cadence: CadencePolicy, now: Date): MissedUpdate[] {
  const missed: MissedUpdate[] = [];
  // nextUpdate[i]: when the first update at or after timeline entry i went out (one backward pass).
  const nextUpdate: (string | null)[] = new Array<string | null>(s.timeline.length + 1).fill(null);
  for (let i = s.timeline.length - 1; i >= 0; i--) {
    const e = s.timeline[i];
    nextUpdate[i] = e?.kind === 'update.posted' ? e.at : (nextUpdate[i + 1] ?? null);
  }
  let state = emptyIncident(s.id);
  let due: string | null = null;
  s.timeline.forEach((e, i) => {
    if (due && Date.parse(e.at) > Date.parse(due) && !missed.some((m) => m.dueAt === due)) missed.push({ dueAt: due, nextAt: nextUpdate[i] ?? null });
    if (movesUpdateDue(e.kind)) {
      // The cadence reads only the latest update and severity change, so the replayed state keeps just those:
      // each step stays constant-time and a long incident renders in linear time.
      const next = fold(s.id, [e], state);
      state = { ...next, updates: next.updates.slice(-1), severityHistory: next.severityHistory.slice(-1), statusHistory: [], timeline: [] };
      due = nextUpdateDueAt(state, cadence);
    }
  });
  if (due && s.status !== 'resolved' && now.getTime() > Date.parse(due) && !missed.some((m) => m.dueAt === due)) missed.push({ dueAt: due, nextAt: null });
  return missed;
}

function tagBefore(note: Note, seq: number): Note['tag'] | undefined {
  let tag: Note['tag'] | undefined;
  for (const t of note.tagHistory) if (t.seq < seq) tag = t.tag;
  return tag;
}

const MITIGATION_LABELS: Readonly<Record<Mitigation['action'], string>> = {
  rollback: 'Rollback', feature_flag: 'Feature flag', failover: 'Failover', restart: 'Restart', scale: 'Scaling', other: 'Other',
  traffic_shift: 'Traffic shift', bypass: 'Bypass', load_shed: 'Load shedding',
};

const actionLabel = (m: Mitigation): string => MITIGATION_LABELS[m.action];

// ---- times ----

/** Formats instants in UTC and in the reader's zone. */
class ReaderClock {
  private readonly fmt: Intl.DateTimeFormat;
  /** The reader's zone is UTC itself: one time column, not the same one twice. */
  readonly isUtc: boolean;

  constructor(readonly timeZone: string) {
    try {
      this.fmt = new Intl.DateTimeFormat('en-US', {
        timeZone, year: 'numeric', month: '2-digit', day: '2-digit',
        hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'shortOffset',
      });
    } catch {
      throw new RangeError(`unknown time zone "${timeZone}": expected an IANA name like Europe/Berlin`);
    }
    this.isUtc = /^(Etc\/)?(UTC|UCT|GMT|Universal|Zulu|Greenwich)([+-]?0)?$/i.test(this.fmt.resolvedOptions().timeZone);
  }

  /** The time columns' headers: `UTC | Europe/Berlin`, or `UTC` for a reader in UTC. */
  headers(): string {
    return this.isUtc ? 'UTC' : `UTC | ${md(this.timeZone)}`;
  }

  /** Their header rules. */
  rules(): string {
    return this.isUtc ? '---' : '---|---';
  }

  /** An instant's cells under {@link headers} (`—` for none). */
  cells(iso: string | null): string {
    if (!iso) return this.isUtc ? '—' : '— | —';
    return this.isUtc ? this.utc(iso) : `${this.utc(iso)} | ${this.local(iso)}`;
  }

  /** `2026-11-22 14:04:00` in UTC. */
  utc(iso: string): string {
    return isoUtc(iso);
  }

  /** `2026-11-22 15:04:00` in the reader's zone. */
  local(iso: string): string {
    const p = this.parts(iso);
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
  }

  /** The reader's calendar date at that instant, `YYYY-MM-DD`. */
  localDate(iso: string): string {
    return this.local(iso).slice(0, 10);
  }

  /** The reader's offset from UTC at that instant: `UTC+1`, `UTC+5:30`, `UTC`. */
  offset(iso: string): string {
    return (this.parts(iso).timeZoneName ?? 'GMT').replace(/^GMT/, 'UTC');
  }

  both(iso: string): string {
    return this.isUtc ? `${this.utc(iso)} UTC` : `${this.utc(iso)} UTC (${this.local(iso)} ${md(this.timeZone)})`;
  }

  private parts(iso: string): Partial<Record<Intl.DateTimeFormatPartTypes, string>> {
    const out: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
    for (const part of this.fmt.formatToParts(new Date(iso))) out[part.type] = part.value;
    return out;
  }
}

function isoUtc(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '—' : new Date(t).toISOString().slice(0, 19).replace('T', ' ');
}

function daysBetween(fromDate: string, toDate: string): number {
  return Math.round((Date.parse(`${toDate}T00:00:00Z`) - Date.parse(`${fromDate}T00:00:00Z`)) / 86_400_000);
}

// ---- Markdown ----

/**
 * User text inside a line, list item or table cell: characters that would start emphasis, code, links, HTML,
 * headings or end a table cell are backslash-escaped, and line breaks become `<br>` so a cell stays one row.
 */
function md(text: string): string {
  return text.replace(/[\\`*_[\]<>#|~&]/g, '\\$&').replace(/\r\n|\r|\n/g, '<br>');
}

const name = (u: User): string => md(u.name);

/** An inline code span that survives backticks in the text (never used inside tables, where `|` would need escaping). */
function code(text: string): string {
  const oneLine = text.replace(/\r\n|\r|\n/g, ' ');
  const longest = Math.max(0, ...(oneLine.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = oneLine.startsWith('`') || oneLine.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${oneLine}${pad}${fence}`;
}

/** A fenced code block longer than any backtick run inside, so output with fences of its own cannot close it. */
function fenced(text: string): string[] {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [fence, ...text.split(/\r\n|\r|\n/), fence];
}

/** `path:start-end` linked to the permalink when there is a web (http/https) one. */
function sourceLink(src: NoteSource): string {
  const lines = src.endLine !== src.startLine ? `${src.startLine}-${src.endLine}` : `${src.startLine}`;
  const label = `${md(src.path)}:${lines}`;
  const at = src.commit ? ` @ ${src.commit.slice(0, 7)}` : '';
  const url = src.remoteUrl ? webUrl(src.remoteUrl) : null;
  return url ? `[${label}](${url})${at}` : `${label}${at}`;
}

/** The URL made safe as a Markdown link destination, or null when it is not an http(s) URL (e.g. `javascript:`). */
function webUrl(raw: string): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
  // Characters that would end the destination, or the table cell around it, are percent-encoded.
  const rest = u.href.slice(u.origin.length).replace(/[()|<>\\[\] ]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return `${u.origin}${rest}`;
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

const firstLine = (text: string): string => text.split(/\r\n|\r|\n/, 1)[0] ?? '';

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

function slug(title: string): string {
  const words = title.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (!words) return 'incident';
  if (words.length <= 50) return words;
  const cut = words.slice(0, 50);
  const dash = cut.lastIndexOf('-');
  return dash > 20 ? cut.slice(0, dash) : cut.replace(/-+$/, '');
}
