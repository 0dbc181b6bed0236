import * as vscode from 'vscode';
import { awaitingAssessment, latestAssessment } from '../core/assessmentPolicy';
import { ASSESSMENT_LABELS } from '../core/eventText';
import type { Mitigation } from '../core/incidentState';
import type { Assessment } from '../protocol/events';
import { ASSESSMENTS } from '../protocol/vocabulary';
import { UserFacingError, type CommandHandlers } from './commandRunner';
import type { IncidentService } from './incidentService';
import { askEvidence } from './assessmentPrompter';
import { pick } from './quickInput';
import { recheckMinutesSetting } from './settings';

const DETAIL: Readonly<Record<Assessment, string>> = {
  helped: 'The symptom is going away: errors, latency or the alert are back towards normal',
  no_change: 'Nothing moved: try something else',
  worse: 'It made things worse: consider undoing it',
  too_early: `Cannot tell yet: asked again in a few minutes`,
};

/**
 * Did the Mitigation Help?: record the answer for a finished mitigation. With an argument object (the sidebar's row,
 * the notification, automation) nothing is asked; from the palette it picks the mitigation (the ones waiting first),
 * the answer and the line of evidence.
 */
export function assessmentCommands(service: IncidentService): CommandHandlers<'incidentRoom.assessMitigation'> {
  return { 'incidentRoom.assessMitigation': { run: async ({ args, incident: s }) => {
    const recheck = recheckMinutesSetting();
    const m = args ? s.mitigations.find((x) => x.id === args.mitigationId) : await pickMitigation(s.mitigations, recheck);
    if (!m) throw new UserFacingError(`no mitigation ${args?.mitigationId ?? ''} in ${s.id}: it may belong to another incident`);
    if (m.state === 'open') throw new UserFacingError(`"${m.description}" is still running: whether it helped is asked once it finishes`);
    const assessment = args?.assessment ?? await pick(ASSESSMENTS.map((a) => ({ label: capitalized(ASSESSMENT_LABELS[a]), detail: DETAIL[a], value: a })), {
      title: `Did it help? ${m.description}`, placeHolder: 'What changed since it finished?',
    });
    const evidence = args ? args.evidence : await askEvidence(m, assessment);
    await service.append('mitigation.assessed', { mitigationId: m.id, assessment, ...(evidence ? { evidence } : {}) }, s.id);
    if (assessment === 'too_early') void vscode.window.showInformationMessage(`Incident Room: asking again in ${recheck} min whether "${m.description}" helped.`);
    return assessment;
  } } };
}

/** The finished mitigations, the ones still waiting for an answer first, each with its latest answer. */
async function pickMitigation(mitigations: readonly Mitigation[], recheck: number): Promise<Mitigation> {
  const finished = mitigations.filter((m) => m.state !== 'open');
  if (finished.length === 0) throw new UserFacingError('no mitigation has finished yet: "Did it help?" is asked once one has');
  const waiting = (m: Mitigation) => (awaitingAssessment(m, recheck) ? 0 : 1);
  const sorted = [...finished].sort((a, b) => waiting(a) - waiting(b) || (b.finishedAt ?? '').localeCompare(a.finishedAt ?? ''));
  return pick(sorted.map((m) => {
    const latest = latestAssessment(m);
    return {
      label: m.description,
      description: `${m.state} ${m.finishedAt ? new Date(m.finishedAt).toLocaleTimeString() : ''}`,
      detail: latest ? `${capitalized(ASSESSMENT_LABELS[latest.assessment])} (${latest.by.name})${latest.evidence ? `: ${latest.evidence}` : ''}` : 'Not answered yet',
      value: m,
    };
  }), { title: 'Did the Mitigation Help?', placeHolder: 'Which mitigation?' });
}

const capitalized = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
