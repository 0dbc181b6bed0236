import type { MitigationView } from '../protocol/webviewMessages';
import { awaitingAssessment, DEFAULT_RECHECK_MINUTES, latestAssessment } from './assessmentPolicy';
import { ASSESSMENT_LABELS } from './eventText';
import type { IncidentState } from './incidentState';
import { mitigationBeforeResolution, minutesAfterText } from './signals';

/**
 * The sidebar's mitigation rows, in the order they started: each with its latest "did it help?" answer (or the
 * question while none stands) and the linked alerts that resolved after it finished, as evidence beside it.
 */
export function mitigationRows(s: IncidentState, recheckMinutes = DEFAULT_RECHECK_MINUTES): MitigationView[] {
  const resolved = resolvedAfterEach(s);
  return s.mitigations.map((m) => {
    const latest = latestAssessment(m);
    const ask = awaitingAssessment(m, recheckMinutes);
    const after = resolved.get(m.id);
    return {
      id: m.id, description: m.description, action: m.action, startedAt: m.startedAt, state: m.state,
      ...(m.finishedAt ? { finishedAt: m.finishedAt } : {}),
      ...(latest ? { assessment: {
        value: latest.assessment, label: ASSESSMENT_LABELS[latest.assessment], by: latest.by.name, at: latest.at,
        ...(latest.evidence ? { evidence: latest.evidence } : {}),
      } } : {}),
      ...(ask ? { awaiting: true } : {}),
      ...(ask?.again ? { askAgainAt: new Date(ask.dueAt).toISOString() } : {}),
      ...(after ? { resolvedAfter: after } : {}),
    };
  });
}

/** Per mitigation id: `HighErrorRate resolved 6 min after`, for each linked alert whose resolution followed it. */
function resolvedAfterEach(s: IncidentState): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!s.mitigations.some((m) => m.finishedAt)) return out;
  for (const e of s.timeline) {
    if (e.kind !== 'signal.resolved') continue;
    const found = mitigationBeforeResolution(e.data.endsAt, s.mitigations);
    if (!found) continue;
    const list = out.get(found.mitigation.id) ?? [];
    list.push(`${e.data.alertname} resolved ${minutesAfterText(found.minutes)} after`);
    out.set(found.mitigation.id, list);
  }
  return out;
}
