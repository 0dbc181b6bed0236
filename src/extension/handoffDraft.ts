import { handoffBrief } from '../core/handoffBrief';
import type { IncidentState } from '../core/incidentState';
import type { CadencePolicy } from '../core/severityPolicy';
import { ROLE_LABELS } from '../core/selectors';
import { Limits } from '../protocol/codes';
import type { Role, User } from '../protocol/events';
import { editDraft } from './draftEditor';

/** The handoff brief for `to`, written from the incident, as the outgoing holder edits it in an editor. */
export function draftHandoffBrief(s: IncidentState, role: Role, to: User, cadence: CadencePolicy): Promise<string> {
  const draft = handoffBrief(s, role, to, { now: new Date(), cadence });
  return editDraft(draft, { what: `handoff brief for ${to.name} (${ROLE_LABELS[role]})`, action: 'Hand Off', maxChars: Limits.shortTextLength });
}
