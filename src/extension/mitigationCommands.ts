import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { IncidentState } from '../core/incidentState';
import { incidentServices, preparedFor } from '../core/preparedMitigations';
import type { CommandVariables } from '../git/commandTemplate';
import type { MitigationEntry } from '../git/mitigationCatalog';
import { confirmText, executeMitigation, mitigationStartedData, planMitigation } from '../git/mitigationPlan';
import { showError, UserFacingError, type CommandHandlers, type ErrorAction } from './commandRunner';
import type { IncidentService } from './incidentService';
import type { LoadedCatalog, MitigationCatalogs } from './mitigationCatalogs';
import { confirm, pick } from './quickInput';
import { rollbackSettingsFor } from './settings';
import { taskRunner } from './taskRunner';

const RISK_ICONS = { low: 'pass', medium: 'warning', high: 'flame' } as const;

const openCatalog = (c: LoadedCatalog): ErrorAction => ({ title: 'Open mitigations.json', command: 'vscode.open', args: [c.uri] });

/** A catalog entry with the folder it came from. */
interface Found {
  readonly catalog: LoadedCatalog;
  readonly entry: MitigationEntry;
}

/**
 * Run Mitigation: a prepared mitigation of the repo's catalog, by id or picked lowest risk first; planned (the
 * rollback command's substitution rules), confirmed in a modal with the exact argv, risk, caution and undo, run by
 * the task runner rollback uses, `mitigation.started` / `mitigation.finished` recorded. Its table entry refuses in
 * Restricted Mode before anything is read.
 */
export function mitigationCommands(catalogs: MitigationCatalogs, service: IncidentService, log: vscode.LogOutputChannel): CommandHandlers<'incidentRoom.runMitigation'> {
  return { 'incidentRoom.runMitigation': {
    run: async ({ incident, args }) => {
      const loaded = await catalogs.load();
      const { catalog, entry } = args ? find(loaded, args.id, args.repo) : await choose(loaded, incident);
      const plan = planMitigation(entry, incident.id, variables(incident, catalog.root));
      if (!plan.ok) throw new UserFacingError(`cannot run "${entry.title}": ${plan.problems.join(' ')} Nothing was run.`, undefined, openCatalog(catalog));
      const { message, detail } = confirmText(plan);
      await confirm(message, 'Run', detail);

      const mitigationId = randomUUID();
      await service.append('mitigation.started', mitigationStartedData(plan, mitigationId), incident.id);
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Running ${entry.title}`, cancellable: true },
        async (_progress, token) => {
          const controller = new AbortController();
          const sub = token.onCancellationRequested(() => controller.abort());
          try {
            return await executeMitigation(plan, { cwd: catalog.root, signal: controller.signal, runCommand: taskRunner('mitigation') });
          } finally {
            sub.dispose();
          }
        },
      );
      await service.append('mitigation.finished', { mitigationId, result: outcome.result, detail: outcome.detail }, incident.id);
      const text = `Incident Room: ${entry.title} ${outcome.result}${outcome.result === 'succeeded' ? `. Now watch: ${entry.verify.watch}` : `. ${outcome.detail.split('\n')[0] ?? ''}`}`;
      if (outcome.result === 'succeeded') void vscode.window.showInformationMessage(text);
      else if (outcome.result === 'cancelled') void vscode.window.showWarningMessage(text);
      else void showError(log, text);
      return outcome.result;
    },
  } };
}

/** The values the placeholders stand for: the incident, the latest suspect deploy, the repo's deploy settings. */
function variables(incident: IncidentState, root: string): CommandVariables {
  const vars: CommandVariables = {};
  const suspect = incident.flaggedDeploys[incident.flaggedDeploys.length - 1];
  if (suspect) Object.assign(vars, { ref: suspect.ref, sha: suspect.sha });
  const { raw, deployBranch } = rollbackSettingsFor(root);
  if (deployBranch) vars.branch = deployBranch;
  vars.remote = typeof raw.remote === 'string' && raw.remote ? raw.remote : 'origin';
  if (typeof raw.environmentBranch === 'string' && raw.environmentBranch) vars.environmentBranch = raw.environmentBranch;
  return vars;
}

function usable(loaded: readonly LoadedCatalog[]): LoadedCatalog[] {
  const ok = loaded.filter((c) => !c.problem);
  if (ok.some((c) => c.entries.length > 0)) return ok;
  const broken = loaded.find((c) => c.problem);
  if (broken) throw new UserFacingError(`${path.basename(broken.root)}/.incident-room/mitigations.json cannot be used: ${broken.problem}. Nothing was run.`, undefined, openCatalog(broken));
  throw new UserFacingError('no prepared mitigations: this workspace has no .incident-room/mitigations.json (the README shows the format). Nothing was run.');
}

function find(loaded: readonly LoadedCatalog[], id: string, repo: string | undefined): Found {
  const catalogs = usable(loaded).filter((c) => repo === undefined || c.root === repo);
  for (const catalog of catalogs) {
    const entry = catalog.entries.find((e) => e.id === id);
    if (entry) return { catalog, entry };
  }
  const first = catalogs[0] ?? loaded[0];
  const known = catalogs.flatMap((c) => c.entries.map((e) => e.id)).join(', ') || 'none';
  throw new UserFacingError(`no prepared mitigation "${id}"${repo ? ` in ${repo}` : ''} (known: ${known}). Nothing was run.`, undefined, first ? openCatalog(first) : undefined);
}

/** The picker: the incident's own lowest risk first, then the ones prepared for other services. */
async function choose(loaded: readonly LoadedCatalog[], incident: IncidentState): Promise<Found> {
  const all = usable(loaded).flatMap((catalog) => catalog.entries.map((entry) => ({ catalog, entry, id: entry.id, risk: entry.risk, services: entry.services })));
  const services = incidentServices(incident, all.flatMap((f) => f.services ?? []));
  const list = preparedFor(all, services);
  const rest = list.hidden ? preparedFor(all, []).shown.filter((f) => !list.shown.includes(f)) : [];
  const multi = new Set(all.map((f) => f.catalog.root)).size > 1;
  const item = (f: (typeof all)[number]) => ({
    label: f.entry.title,
    iconPath: new vscode.ThemeIcon(RISK_ICONS[f.entry.risk]),
    description: `${f.entry.risk} risk · ${f.entry.kind}${f.entry.services?.length ? ` · ${f.entry.services.join(', ')}` : ''}${multi ? ` · ${path.basename(f.catalog.root)}` : ''}`,
    detail: f.entry.caution,
    value: f as Found,
  });
  const items: (vscode.QuickPickItem & { value: Found })[] = [
    ...list.shown.map(item),
    ...(rest.length ? [{ label: 'Other services', kind: vscode.QuickPickItemKind.Separator, value: undefined as unknown as Found }, ...rest.map(item)] : []),
  ];
  return pick(items, {
    title: `Run Mitigation (${incident.id})`,
    placeHolder: services.length ? `Prepared for ${services.join(', ')}, lowest risk first` : 'Prepared mitigations, lowest risk first',
    matchOnDescription: true, matchOnDetail: true,
  });
}
