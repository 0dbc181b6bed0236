import type { Severity } from '../protocol/vocabulary';
import type { Signal } from '../protocol/messages';
import type { Mitigation } from './incidentState';
import { durationText } from './durationText';

/** What a client tells its listeners when the channel's signals change (the list itself: its `signals`, sorted on demand). */
export interface SignalChange {
  /** Signals that just started firing, told live (never those of the list a connect loads): the ones to notify of. */
  readonly fresh: readonly Signal[];
}

/** How many of a channel's signals fire, and how many resolved in the last 24 hours. */
export interface SignalCounts {
  readonly firing: number;
  readonly resolved: number;
}

/** How long a resolved signal stays listed (and counted) after it ended. */
export const SIGNALS_RESOLVED_LISTED_MS = 24 * 60 * 60 * 1000;

/** The counts of `all` at `now` (`now` in ms): what the channel's `signals` would list, uncapped. */
export function signalCounts(all: Iterable<Signal>, now: number): SignalCounts {
  let firing = 0;
  let resolved = 0;
  const since = now - SIGNALS_RESOLVED_LISTED_MS;
  for (const s of all) {
    if (s.status === 'firing') firing++;
    else if (s.endsAt !== null && Date.parse(s.endsAt) >= since) resolved++;
  }
  return { firing, resolved };
}

/** Firing first (newest start first), then resolved (newest end first); ties by fingerprint, so the order is stable. */
export function sortSignals(signals: Signal[]): Signal[] {
  const rank = (s: Signal) => (s.status === 'firing' ? 0 : 1);
  const time = (s: Signal) => Date.parse(s.status === 'firing' ? s.startsAt : (s.endsAt ?? s.updatedAt));
  return signals.sort((a, b) => rank(a) - rank(b) || time(b) - time(a) || (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0));
}

/** The alert's name: Prometheus's `alertname` label, Grafana's `grafana_folder`-less rule name, else the fingerprint. */
export const signalName = (s: Pick<Signal, 'labels' | 'fingerprint'>): string => s.labels['alertname'] || s.labels['rulename'] || s.fingerprint;

/** One line saying what is wrong: `annotations.summary`, else `description`'s first line, else the name. */
export function signalSummary(s: Pick<Signal, 'labels' | 'annotations' | 'fingerprint'>): string {
  const text = s.annotations['summary'] || s.annotations['title'] || firstLine(s.annotations['description'] ?? '');
  return text || signalName(s);
}

const firstLine = (t: string): string => t.split(/\r?\n/, 1)[0]?.trim() ?? '';

/** Labels that say where: shown on the signal's card and put in the declared incident's scope, in this order. */
export const SCOPE_LABELS = ['service', 'job', 'app', 'namespace', 'cluster', 'region', 'zone', 'env', 'environment', 'route', 'tenant', 'instance'] as const;

/** `service=checkout, region=eu-west-1`: the where-labels a signal has, for the incident's scope. */
export function signalScope(s: Pick<Signal, 'labels'>): string {
  return SCOPE_LABELS.filter((k) => s.labels[k]).map((k) => `${k}=${s.labels[k]}`).join(', ');
}

/** Which label carries the alert's severity, and how its values map to incident severities (a setting). */
export interface SeverityMapping {
  readonly label: string;
  /** Label value (compared case-insensitively) → severity. */
  readonly map: Readonly<Record<string, Severity>>;
}

/** The default mapping: Prometheus's conventional `severity` label. */
export const DEFAULT_SEVERITY_MAPPING: SeverityMapping = {
  label: 'severity',
  map: { critical: 'SEV1', page: 'SEV2', error: 'SEV2', warning: 'SEV3', info: 'SEV4' },
};

/** The incident severity a signal maps to, or undefined when its label is missing or not in the map. */
export function signalSeverity(s: Pick<Signal, 'labels'>, mapping: SeverityMapping = DEFAULT_SEVERITY_MAPPING): Severity | undefined {
  const value = s.labels[mapping.label]?.toLowerCase();
  if (value === undefined) return undefined;
  const entry = Object.entries(mapping.map).find(([k]) => k.toLowerCase() === value);
  return entry?.[1];
}

/** A page to open from a signal's card. */
export interface SignalLink {
  readonly label: 'Graph' | 'Runbook' | 'Dashboard' | 'Panel' | 'Silence';
  readonly url: string;
}

const webUrl = (u: string | undefined | null): string | undefined => (u && /^https?:\/\//i.test(u) ? u : undefined);

/** The graph (generatorURL), runbook (`runbook_url` annotation), dashboard and panel (Grafana's, or annotations), silence. */
export function signalLinks(s: Signal): SignalLink[] {
  const links: [SignalLink['label'], string | undefined][] = [
    ['Graph', webUrl(s.generatorURL)],
    ['Runbook', webUrl(s.annotations['runbook_url'] ?? s.annotations['runbook'])],
    ['Dashboard', webUrl(s.dashboardURL ?? s.annotations['dashboard_url'] ?? s.annotations['dashboard'])],
    ['Panel', webUrl(s.panelURL)],
    ['Silence', webUrl(s.silenceURL)],
  ];
  return links.flatMap(([label, url]) => (url ? [{ label, url }] : []));
}

/** What Declare from Signal fills in: the declare flow's prefill, and the event that links the signal. */
export interface SignalDeclaration {
  readonly title: string;
  /** From the mapping; undefined when the signal's severity label does not map (the user picks). */
  readonly severity: Severity | undefined;
  readonly symptom: string;
  readonly scope: string;
  /** When monitoring detected it: the alert's start, kept apart from the declaration's time. */
  readonly detectedAt: string;
}

const clip = (t: string, max: number): string => (t.length <= max ? t : `${t.slice(0, max - 1)}…`);

/** The declare flow's prefill from a signal (title ≤ 200, symptom ≤ 2000, as the event allows). */
export function declarationFromSignal(s: Signal, mapping: SeverityMapping = DEFAULT_SEVERITY_MAPPING): SignalDeclaration {
  const summary = s.annotations['summary'] || s.annotations['title'];
  return {
    title: clip(summary || signalName(s), 200),
    severity: signalSeverity(s, mapping),
    symptom: clip(s.annotations['description'] ?? '', 2000),
    scope: clip(signalScope(s), 2000),
    detectedAt: s.startsAt,
  };
}

/** The `signal.linked` event's data for a signal. */
export function signalLinkData(s: Signal): {
  fingerprint: string; alertname: string; summary?: string; startsAt: string; labels: Record<string, string>; generatorURL?: string;
} {
  const summary = s.annotations['summary'] || s.annotations['title'];
  return {
    fingerprint: s.fingerprint,
    alertname: clip(signalName(s), 200),
    ...(summary ? { summary: clip(summary, 2000) } : {}),
    startsAt: s.startsAt,
    labels: { ...s.labels },
    ...(webUrl(s.generatorURL) ? { generatorURL: s.generatorURL as string } : {}),
  };
}

const MITIGATION_WORDS: Record<Mitigation['action'], string> = {
  rollback: 'rollback', feature_flag: 'feature flag change', failover: 'failover', restart: 'restart', scale: 'scaling', other: 'mitigation',
  traffic_shift: 'traffic shift', bypass: 'dependency bypass', load_shed: 'load shedding',
};

/**
 * Did a mitigation help? The mitigation that finished last before a signal resolved, and how long before:
 * `6 min after rollback of release-42 finished`. Undefined when none finished before (or it was cancelled).
 */
export function resolvedAfterMitigation(endsAt: string, mitigations: readonly Mitigation[]): string | undefined {
  const found = mitigationBeforeResolution(endsAt, mitigations);
  if (!found) return undefined;
  const best = found.mitigation;
  const what = `${MITIGATION_WORDS[best.action]}${best.target?.ref ? ` of ${best.target.ref}` : ''}`;
  return `${minutesAfterText(found.minutes)} after ${what} ${best.state === 'failed' ? 'failed' : 'finished'}`;
}

/** The mitigation a signal's resolution at `endsAt` follows: the last one that finished before it (not a cancelled one), and how many whole minutes before. */
export function mitigationBeforeResolution(endsAt: string, mitigations: readonly Mitigation[]): { mitigation: Mitigation; minutes: number } | undefined {
  const end = Date.parse(endsAt);
  let best: Mitigation | undefined;
  for (const m of mitigations) {
    if (!m.finishedAt || m.state === 'cancelled' || m.state === 'open') continue;
    const at = Date.parse(m.finishedAt);
    if (at <= end && (!best || at > Date.parse(best.finishedAt as string))) best = m;
  }
  if (!best?.finishedAt) return undefined;
  return { mitigation: best, minutes: Math.floor((end - Date.parse(best.finishedAt)) / 60_000) };
}

/** `under a minute`, `6 min`, `1h 05m`: how long after a mitigation something happened. */
export function minutesAfterText(minutes: number): string {
  return minutes < 1 ? 'under a minute' : minutes < 60 ? `${minutes} min` : durationText(minutes);
}

/** A signal as the sidebar shows it (webviewMessages.ts `SignalView`). */
export interface SignalViewData {
  readonly fingerprint: string;
  readonly name: string;
  readonly summary: string;
  /** The incident severity its label maps to, and the label's own value (`critical`). */
  readonly severity: Severity | null;
  readonly severityLabel: string | null;
  /** The where-labels: `service=checkout, region=eu-west-1`. */
  readonly where: string;
  readonly status: 'firing' | 'resolved';
  readonly startsAt: string;
  readonly endsAt: string | null;
  readonly incidentId: string | null;
  readonly links: SignalLink['label'][];
}

/** Firing signals shown in the sidebar; the rest are counted ("and 12 more firing") and listed by Declare from Signal. */
export const SIGNALS_SHOWN = 10;

/**
 * The sidebar's signals: the firing ones (at most `SIGNALS_SHOWN`), in `sortSignals` order, and how many fire in all
 * (`firingInChannel`: the server's count, when it gives one).
 */
export function signalViews(
  signals: readonly Signal[], mapping: SeverityMapping = DEFAULT_SEVERITY_MAPPING, firingInChannel = 0,
): { shown: SignalViewData[]; firing: number } {
  const firing = signals.filter((s) => s.status === 'firing');
  return {
    // The channel's count when the server gives it: a client holds only the few hundred it listed and what it was told since.
    firing: Math.max(firing.length, firingInChannel),
    shown: firing.slice(0, SIGNALS_SHOWN).map((s) => ({
      fingerprint: s.fingerprint, name: signalName(s), summary: signalSummary(s),
      severity: signalSeverity(s, mapping) ?? null, severityLabel: s.labels[mapping.label] ?? null,
      where: signalScope(s), status: s.status, startsAt: s.startsAt, endsAt: s.endsAt, incidentId: s.incidentId,
      links: signalLinks(s).map((l) => l.label),
    })),
  };
}
