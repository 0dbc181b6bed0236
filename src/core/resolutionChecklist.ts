import type { EventDataOf } from '../protocol/events';
import type { Signal } from '../protocol/messages';
import type { IncidentState } from './incidentState';
import { durationText } from './durationText';

/** A linked alert that still fires as the incident is resolved. */
export interface FiringLinkedSignal {
  readonly fingerprint: string;
  readonly name: string;
  readonly startsAt: string;
}

/** One item of the resolve checklist, as the record shows it before the responder answers. */
export interface ChecklistItem {
  readonly key: ChecklistKey;
  /** What the item asks: `Impact has stopped`. */
  readonly label: string;
  /** Whether the record already shows it (for `impactStopped`: no linked alert still fires). */
  readonly met: boolean;
  /** What the record says about it: `2 root-cause notes`, `never in monitoring`, `HighErrorRate still firing`. */
  readonly detail: string;
}

export type ChecklistKey = 'impactStopped' | 'monitored' | 'rootCauseKnown' | 'followUpFiled';

/** The resolve checklist of an incident as its record stands: the four items, and the linked alerts still firing. */
export interface ResolutionChecklist {
  readonly items: readonly ChecklistItem[];
  readonly firingSignals: readonly FiringLinkedSignal[];
}

/**
 * What the record says about resolving `s` now: has impact stopped (no alert linked to it still fires: the live
 * `signals` of the channel where known, else the timeline's `signal.linked` without a `signal.resolved`), did it
 * spend time in `monitoring`, is a root cause known (a note tagged `root-cause`), does a follow-up action item exist.
 */
export function resolutionChecklist(s: IncidentState, signals: readonly Signal[], now: number): ResolutionChecklist {
  const firing = firingLinkedSignals(s, signals);
  const monitoring = monitoringTime(s, now);
  const rootCauses = s.notes.filter((n) => n.tag === 'root-cause').length;
  const open = s.actions.filter((a) => !a.done).length;
  const filed = s.actions.filter((a) => a.issueUrl).length;
  const items: ChecklistItem[] = [
    {
      key: 'impactStopped', label: 'Impact has stopped', met: firing.length === 0,
      detail: firing.length === 0
        ? 'confirm users are fine again'
        : `${firing.map((f) => f.name).join(', ')} still firing`,
    },
    {
      key: 'monitored', label: 'Watched it hold in monitoring', met: monitoring !== null,
      detail: monitoring === null ? 'never in monitoring' : `${durationText(Math.floor(monitoring / 60_000))} in monitoring`,
    },
    {
      key: 'rootCauseKnown', label: 'Root cause known', met: rootCauses > 0,
      detail: rootCauses > 0 ? `${rootCauses} root-cause note${rootCauses === 1 ? '' : 's'}` : 'no note tagged root-cause',
    },
    {
      key: 'followUpFiled', label: 'Follow-up filed', met: s.actions.length > 0,
      detail: s.actions.length === 0
        ? 'no action item'
        : [`${s.actions.length} action item${s.actions.length === 1 ? '' : 's'}`, open ? `${open} open` : '', filed ? `${filed} on the forge` : ''].filter(Boolean).join(', '),
    },
  ];
  return { items, firingSignals: firing };
}

/** The items the responder left unchecked, or that the record does not show, in checklist order. */
export function missingItems(answers: Readonly<Record<ChecklistKey, boolean>>): ChecklistKey[] {
  return (['impactStopped', 'monitored', 'rootCauseKnown', 'followUpFiled'] as const).filter((k) => !answers[k]);
}

/**
 * Honest enough to resolve: impact stopped, watched in monitoring, and the root cause known or a follow-up filed
 * (either one; a band-aid with nothing filed is not). Missing items never block: they are recorded.
 */
export function checklistComplete(answers: Readonly<Record<ChecklistKey, boolean>>): boolean {
  return answers.impactStopped && answers.monitored && (answers.rootCauseKnown || answers.followUpFiled);
}

/** The `resolution.checked` data for the responder's answers (or, without one, what the record says). */
export function resolutionCheckedData(
  checklist: ResolutionChecklist, answers: Readonly<Record<ChecklistKey, boolean>>, note?: string,
): EventDataOf<'resolution.checked'> {
  const trimmed = note?.trim();
  return {
    impactStopped: answers.impactStopped, monitored: answers.monitored, rootCauseKnown: answers.rootCauseKnown, followUpFiled: answers.followUpFiled,
    ...(checklist.firingSignals.length > 0 ? { firingSignals: checklist.firingSignals.slice(0, 100).map((f) => f.fingerprint) } : {}),
    ...(trimmed ? { note: trimmed.slice(0, 2000) } : {}),
  };
}

/** What the record says for each item, as answers (the argument-object path: nobody was asked). */
export function recordedAnswers(checklist: ResolutionChecklist): Record<ChecklistKey, boolean> {
  const out = { impactStopped: false, monitored: false, rootCauseKnown: false, followUpFiled: false };
  for (const item of checklist.items) out[item.key] = item.met;
  return out;
}

/**
 * Alerts linked to the incident that still fire: a live signal of the channel linked to it decides; a linked
 * alert the channel no longer lists (local mode, or resolved more than a day ago) fires unless the timeline has its
 * `signal.resolved` after its latest link.
 */
export function firingLinkedSignals(s: IncidentState, signals: readonly Signal[]): FiringLinkedSignal[] {
  const live = new Map(signals.map((x) => [x.fingerprint, x]));
  const linked = new Map<string, FiringLinkedSignal & { resolved: boolean }>();
  for (const e of s.timeline) {
    if (e.kind === 'signal.linked') linked.set(e.data.fingerprint, { fingerprint: e.data.fingerprint, name: e.data.alertname, startsAt: e.data.startsAt, resolved: false });
    if (e.kind === 'signal.resolved') {
      const l = linked.get(e.data.fingerprint);
      // A resolution of an earlier firing does not end a later one (the alert fired again, with a later start).
      if (l && Date.parse(e.data.startsAt) >= Date.parse(l.startsAt)) linked.set(l.fingerprint, { ...l, resolved: true });
    }
  }
  const out: FiringLinkedSignal[] = [];
  for (const x of signals) {
    if (x.incidentId === s.id && x.status === 'firing') out.push({ fingerprint: x.fingerprint, name: x.labels['alertname'] || x.fingerprint, startsAt: x.startsAt });
  }
  for (const l of linked.values()) {
    if (live.has(l.fingerprint) || l.resolved) continue;
    out.push({ fingerprint: l.fingerprint, name: l.name, startsAt: l.startsAt });
  }
  return out;
}

/** How long the incident was in `monitoring` in all (ms; the current stint counts up to `now`), or null if never. */
function monitoringTime(s: IncidentState, now: number): number | null {
  let total: number | null = null;
  const h = s.statusHistory;
  h.forEach((c, i) => {
    if (c.value !== 'monitoring') return;
    const end = h[i + 1] ? Date.parse(h[i + 1]!.at) : now;
    total = (total ?? 0) + Math.max(0, end - Date.parse(c.at));
  });
  return total;
}
