import type { Role, Severity } from '../protocol/events';
import type { IncidentState, RoleTenure } from './incidentState';
import { rolesOf } from './selectors';

/** The severities whose role holders are reminded to rotate: long, intense incidents wear people out. */
export const ROTATION_SEVERITIES: readonly Severity[] = ['SEV1', 'SEV2'];

/** A role the user has held past the rotation threshold and has not been reminded of in this tenure. */
export interface RotationDue {
  readonly role: Role;
  /** Names this tenure (incident, role, the seq that began it): remembered once reminded, so it is said once. */
  readonly key: string;
  readonly since: string;
  readonly heldMinutes: number;
}

/** The holder's current tenure of `role` (not yet renounced), if anyone holds it. */
export function currentTenure(s: IncidentState, role: Role): RoleTenure | undefined {
  const last = s.roles[role].history[s.roles[role].history.length - 1];
  return s.roles[role].holder && last && last.renouncedAt === undefined ? last : undefined;
}

/** The key of one holder's tenure of a role: a new tenure (handed back, taken again) is a new key. */
export const tenureKey = (incidentId: string, role: Role, assumedSeq: number): string => `${incidentId}/${role}/${assumedSeq}`;

/**
 * The roles `userId` should be reminded to hand off at `now`: held at least `rotateAfterMinutes` (null or 0: never)
 * on an open SEV1/SEV2 incident, in a tenure whose key `reminded` does not know yet.
 */
export function rotationsDue(
  s: IncidentState, userId: string, now: number, rotateAfterMinutes: number | null, reminded: (key: string) => boolean,
): RotationDue[] {
  if (!rotateAfterMinutes || rotateAfterMinutes <= 0 || !s.declaredAt || s.status === 'resolved') return [];
  if (!ROTATION_SEVERITIES.includes(s.severity)) return [];
  const out: RotationDue[] = [];
  for (const role of rolesOf(s, userId)) {
    const tenure = currentTenure(s, role);
    if (!tenure) continue;
    const heldMinutes = Math.floor((now - Date.parse(tenure.assumedAt)) / 60_000);
    const key = tenureKey(s.id, role, tenure.assumedSeq);
    if (heldMinutes >= rotateAfterMinutes && !reminded(key)) out.push({ role, key, since: tenure.assumedAt, heldMinutes });
  }
  return out;
}
