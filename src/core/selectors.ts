import type { Role } from '../protocol/events';
import type { IncidentState, Mitigation, Note } from './incidentState';

/** Notes currently tagged fact. */
export const facts = (s: IncidentState): Note[] => s.notes.filter((n) => n.tag === 'fact');
/** Guesses not yet confirmed or refuted. */
export const openGuesses = (s: IncidentState): Note[] => s.notes.filter((n) => n.tag === 'guess');
/** Guesses proven wrong. */
export const refutedGuesses = (s: IncidentState): Note[] => s.notes.filter((n) => n.tag === 'refuted');
/** Notes tagged decision. */
export const decisions = (s: IncidentState): Note[] => s.notes.filter((n) => n.tag === 'decision');
/** Mitigations started and not yet finished. */
export const openMitigations = (s: IncidentState): Mitigation[] => s.mitigations.filter((m) => m.state === 'open');
/** The roles a user holds now. */
export const rolesOf = (s: IncidentState, userId: string): Role[] =>
  (Object.keys(s.roles) as Role[]).filter((r) => s.roles[r].holder?.id === userId);

/** Display names of the roles. */
export const ROLE_LABELS: Readonly<Record<Role, string>> = {
  commander: 'Commander', tech_lead: 'Tech Lead', communications: 'Communications', scribe: 'Scribe',
};
