import * as vscode from 'vscode';
import type { Triage } from '../core/incidentState';
import { suggestSeverity } from '../core/severityPolicy';
import {
  IMPACT_KINDS, IMPACT_LABELS, IMPACT_LEVEL_HELP, parseCount, parseList, TREND_HELP, USER_SHARE_LABELS, type ImpactKind,
} from '../core/triageText';
import { Limits } from '../protocol/codes';
import type { CommandId } from '../protocol/commands';
import { IMPACT_LEVELS, TRENDS, USER_SHARES, type ImpactCheck, type UserShare } from '../protocol/events';
import type { CommandHandlers } from './commandRunner';
import type { IncidentService } from './incidentService';
import { ask, pickActive } from './quickInput';

type TriageCommandId = Extract<CommandId, 'incidentRoom.triage'>;

const SHARE_HELP: Readonly<Record<UserShare, string>> = {
  unknown: 'Not measured yet', few: 'A handful, one customer, a corner case', some: 'A segment: a region, a plan, a payment method',
  most: 'The majority of users', all: 'Everyone',
};

/** How many prompts the flow has (an impact's evidence counts with its level). */
const STEPS = 11;

/**
 * Incident: Record Triage. Scope before cleverness: who is affected, where, the trend, and customer, financial and
 * data-integrity impact checked one by one, then an optional note. Every prompt starts from the latest triage, so re-triaging after a
 * change is a few Enters; Escape at any step records nothing (the latest triage stays as it was). After recording,
 * when the triage suggests another severity, an information message says so with a Change Severity button; the
 * severity changes only if the user goes on and confirms it there.
 */
export function triageCommands(service: IncidentService): CommandHandlers<TriageCommandId> {
  return {
    'incidentRoom.triage': { run: async ({ args, incident: s }) => {
      const data = args ?? (await promptTriage(s.id, s.triage ?? undefined));
      const eventId = await service.append('triage.recorded', data);
      const suggestion = suggestSeverity(data);
      const now = service.focusedIncident?.id === s.id ? service.focusedIncident.severity : s.severity;
      if (suggestion.severity !== now) {
        // Not awaited: the command is done once the triage is recorded; the message waits for the user.
        void vscode.window.showInformationMessage(`Incident Room: ${suggestion.text} (current ${now})`, 'Change Severity').then((choice) => {
          if (choice === 'Change Severity') void vscode.commands.executeCommand('incidentRoom.changeSeverity');
        });
      } else {
        void vscode.window.setStatusBarMessage(`Incident Room: triage recorded on ${s.id} (${suggestion.text}, as now)`, 5000);
      }
      return eventId;
    } },
  };
}

/** The prompts, each prefilled from `last` (the latest triage), in the order a responder finds things out. */
async function promptTriage(incidentId: string, last: Triage | undefined): Promise<Triage> {
  const title = (step: number) => `Record Triage for ${incidentId} (${step}/${STEPS})`;
  const share = await pickActive(
    USER_SHARES.map((x) => ({ label: USER_SHARE_LABELS[x], description: SHARE_HELP[x], value: x })),
    last?.users.share ?? 'unknown',
    { title: title(1), placeHolder: 'Who is affected: roughly what share of users?' },
  );
  const text = await ask({
    title: title(2), prompt: 'Who is affected, in a few words (optional)', placeHolder: 'e.g. EU customers paying by card',
    value: last?.users.text ?? '', required: false, validateInput: maxChars(Limits.shortTextLength),
  });
  const count = parseCount(await ask({
    title: title(3), prompt: 'How many users, roughly (optional): 1200, ~1.2k', value: last?.users.count !== undefined ? String(last.users.count) : '',
    required: false, validateInput: (v) => (parseCount(v) === null ? 'A whole number, e.g. 1200, 1,200, ~1.2k; or leave empty' : undefined),
  })) ?? undefined;
  const regions = await askList(title(4), 'Regions affected, comma-separated (optional)', 'eu-west-1, eu-central-1', last?.regions);
  const routes = await askList(title(5), 'Routes or endpoints affected, comma-separated (optional)', '/checkout/pay, POST /orders', last?.routes);
  const tenants = await askList(title(6), 'Tenants or customers affected, comma-separated (optional)', 'acme, globex', last?.tenants);
  const trend = await pickActive(
    TRENDS.map((x) => ({ label: x, description: TREND_HELP[x], value: x })),
    last?.trend ?? 'unknown',
    { title: title(7), placeHolder: 'Is the impact still spreading?' },
  );
  const impacts = {} as Record<ImpactKind, ImpactCheck>;
  for (const [i, kind] of IMPACT_KINDS.entries()) impacts[kind] = await askImpact(title(8 + i), kind, last?.[kind]);
  const note = await ask({
    title: title(11), prompt: 'A note on this triage (optional)', placeHolder: 'e.g. refunds team told; numbers from the payments dashboard',
    value: last?.note ?? '', required: false, validateInput: maxChars(Limits.shortTextLength),
  });
  return {
    users: { share, ...(text ? { text } : {}), ...(count !== undefined ? { count } : {}) },
    regions, routes, tenants, trend, ...impacts, ...(note ? { note } : {}),
  };
}

const IMPACT_QUESTION: Readonly<Record<ImpactKind, string>> = {
  customer: 'Customer impact: can users not do what they came to do?',
  financial: 'Financial impact: lost revenue, failed or wrong charges, penalties?',
  dataIntegrity: 'Data-integrity impact: lost, corrupted, duplicated or leaked data?',
};

/** One impact: its level, then (unless none) a line of evidence, both prefilled from the last triage. */
async function askImpact(title: string, kind: ImpactKind, last: ImpactCheck | undefined): Promise<ImpactCheck> {
  const level = await pickActive(
    IMPACT_LEVELS.map((x) => ({ label: x, description: IMPACT_LEVEL_HELP[x], value: x })),
    last?.level ?? 'none',
    { title, placeHolder: IMPACT_QUESTION[kind] },
  );
  if (level === 'none') return { level };
  const evidence = await ask({
    title, prompt: `${IMPACT_LABELS[kind]} impact ${level}: the evidence, in a line (optional)`,
    placeHolder: kind === 'customer' ? 'e.g. 31% of /pay requests return 502' : kind === 'financial' ? 'e.g. ~300 orders lost since 08:02' : 'e.g. 12 payments captured twice',
    value: last?.evidence ?? '', required: false, validateInput: maxChars(Limits.shortTextLength),
  });
  return { level, ...(evidence ? { evidence } : {}) };
}

async function askList(title: string, prompt: string, placeHolder: string, last: readonly string[] | undefined): Promise<string[]> {
  const typed = await ask({
    title, prompt, placeHolder, value: (last ?? []).join(', '), required: false,
    validateInput: (v) => { const r = parseList(v); return 'error' in r ? r.error : undefined; },
  });
  const r = parseList(typed);
  return 'items' in r ? r.items : [];
}

const maxChars = (n: number) => (v: string): string | undefined => (v.length > n ? `At most ${n} characters` : undefined);
