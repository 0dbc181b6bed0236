import type { User } from '../protocol/events';
import type { IncidentState, Mitigation, MitigationAssessment } from './incidentState';

/** The default of incidentRoom.mitigations.recheckMinutes: how long "too early to tell" waits before asking again. */
export const DEFAULT_RECHECK_MINUTES = 5;

/** A finished mitigation still waiting for "did it help?": asked once it finished, or again after a `too_early`. */
export interface AssessmentAsk {
  readonly mitigation: Mitigation;
  /** When to ask (ms since the epoch): when it finished, or `recheckMinutes` after the latest `too_early`. */
  readonly dueAt: number;
  /** The answer being asked again: the latest was `too_early`. */
  readonly again: boolean;
}

/** A mitigation's latest "did it help?" answer, or undefined before the first. */
export function latestAssessment(m: Mitigation): MitigationAssessment | undefined {
  return m.assessments[m.assessments.length - 1];
}

/**
 * Whether a mitigation is waiting for "did it help?", and from when: every finished one (a failed or cancelled run
 * may have changed things half-way, and "no change" is worth recording for the postmortem too) until someone answers
 * helped, no change or worse. Derived from the state alone, so a reloaded window asks what is still open.
 */
export function awaitingAssessment(m: Mitigation, recheckMinutes: number): AssessmentAsk | undefined {
  if (m.state === 'open' || !m.finishedAt) return undefined;
  const latest = latestAssessment(m);
  if (!latest) return { mitigation: m, dueAt: Date.parse(m.finishedAt), again: false };
  if (latest.assessment !== 'too_early') return undefined;
  return { mitigation: m, dueAt: Date.parse(latest.at) + recheckMinutes * 60_000, again: true };
}

/**
 * Who is asked with a notification: the responder who ran the mitigation (they watched it run and know what to
 * check) and the Commander (they decide what to try next). Not every watcher: a toast in every window on the
 * channel would interrupt people doing other work and invite conflicting answers; anyone can still answer on the
 * mitigation's row in the sidebar, where the question sits without interrupting.
 */
export function isAskedToAssess(s: IncidentState, m: Mitigation, me: User): boolean {
  return m.startedBy.id === me.id || s.roles.commander.holder?.id === me.id;
}

/**
 * The asks for `me` that are due at `now`, oldest first, and when the next one that is not due yet falls due.
 * Nothing once the incident is resolved: the rows still show what was never answered, but no one is interrupted.
 */
export function assessmentAsks(s: IncidentState, me: User, now: number, recheckMinutes: number): { due: AssessmentAsk[]; nextAt: number | undefined } {
  const due: AssessmentAsk[] = [];
  let nextAt: number | undefined;
  if (s.status === 'resolved') return { due, nextAt };
  for (const m of s.mitigations) {
    const ask = awaitingAssessment(m, recheckMinutes);
    if (!ask || !isAskedToAssess(s, m, me)) continue;
    if (ask.dueAt <= now) due.push(ask);
    else nextAt = Math.min(nextAt ?? Infinity, ask.dueAt);
  }
  due.sort((a, b) => a.dueAt - b.dueAt);
  return { due, nextAt };
}
