import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { countText } from '../core/durationText';
import { gatherRollbackFacts } from '../git/rollbackFacts';
import { executeRollback, mitigationFinishedData, mitigationStartedData } from '../git/rollbackExecutor';
import { formatArgv, planRollback, validateRollbackSettings, type DeployPoint, type RollbackPlan } from '../git/rollbackPlan';
import { showError, UserFacingError, type CommandHandlers } from './commandRunner';
import { gitCodeActions } from './failure';
import type { DeployTarget } from './deployCommands';
import type { DeploysView } from './deploysView';
import type { IncidentService } from './incidentService';
import { confirm } from './quickInput';
import { rollbackSettingsFor } from './settings';
import { taskRunner } from './taskRunner';

/** The modal confirm: exactly what will run and what it undoes. */
function confirmText(plan: RollbackPlan): { message: string; detail: string } {
  const lines: string[] = ['Will run, in order:'];
  plan.steps.forEach((s, i) => lines.push(`${i + 1}. ${formatArgv(s.argv)}`));
  const { commits, commitsTruncated, files } = plan.undoes;
  lines.push('', `Undoes ${countText(commits.length, 'commit', { more: commitsTruncated })} and ${countText(files.length, 'file')} since ${plan.previous.label}:`);
  for (const c of commits.slice(0, 8)) lines.push(`  ${c.sha.slice(0, 7)} ${c.subject}`);
  if (commits.length > 8) lines.push(`  … and ${commits.length - 8} more`);
  for (const w of plan.warnings) lines.push('', `⚠ ${w}`);
  return { message: `${plan.summary}?`, detail: lines.join('\n') };
}

/**
 * Roll Back Deploy: plan, confirm, run one at a time with progress and cancel, record both mitigation events. Its
 * table entry needs a trusted workspace first (the sidebar's Roll back button included), then the incident and the
 * deploy.
 */
export function rollbackCommand(view: DeploysView, service: IncidentService, log: vscode.LogOutputChannel): CommandHandlers<'incidentRoom.rollback', DeployTarget> {
  return { 'incidentRoom.rollback': {
    deployPrompt: (incident) => `Roll back which deploy? (mitigation for ${incident?.id ?? 'the incident'})`,
    run: async ({ incident, deploy: { repo, deploy } }) => {
      if (!deploy.previous) throw new UserFacingError(`${deploy.label} is the oldest deploy listed: there is no previous deploy to go back to. Nothing was run.`);
      const { raw, deployBranch } = rollbackSettingsFor(repo.root);
      const settings = validateRollbackSettings(raw);
      if (settings.problems.length) throw new UserFacingError(`rollback settings: ${settings.problems.join(' ')} Nothing was run.`);
      const repository = view.repository(repo);
      const point = (d: { ref: string; sha: string; label: string }): DeployPoint => ({ ref: d.ref, sha: d.sha, label: d.label });
      const facts = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Planning the rollback of ${deploy.label}…` },
        () => repository.read(`plan rollback of ${deploy.label}`, (runner) => gatherRollbackFacts(runner, point(deploy), point(deploy.previous as DeployPoint), { settings, deployBranch })));
      const plan = planRollback({ settings, incidentId: incident.id, facts, deployBranch });
      if (!plan.ok) {
        // The action that fixes the first refusal that has one (a dirty work tree: Open Source Control).
        const action = plan.refusals.flatMap((r) => gitCodeActions(r.code))[0];
        throw new UserFacingError(`cannot roll back ${deploy.label}: ${plan.refusals.map((r) => r.message).join(' ')} Nothing was run.`, undefined, action);
      }
      const { message, detail } = confirmText(plan);
      await confirm(message, 'Roll Back', detail);

      const mitigationId = randomUUID();
      await service.append('mitigation.started', mitigationStartedData(plan, mitigationId), incident.id);
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Rolling back ${deploy.label}`, cancellable: true },
        async (progress, token) => {
          const controller = new AbortController();
          const sub = token.onCancellationRequested(() => controller.abort());
          try {
            return await executeRollback(repository.runner, plan, {
              signal: controller.signal,
              runCommand: taskRunner('rollback'),
              onProgress: (p) => {
                if (p.state === 'running') progress.report({ message: `${p.step + 1}/${p.total}: ${p.title}`, increment: 100 / p.total });
              },
            });
          } finally {
            sub.dispose();
          }
        },
      );
      await service.append('mitigation.finished', mitigationFinishedData(outcome, mitigationId), incident.id);
      const text = `Incident Room: rollback of ${deploy.label} ${outcome.result}. ${outcome.detail}`;
      if (outcome.result === 'succeeded') void vscode.window.showInformationMessage(text);
      else if (outcome.result === 'cancelled') void vscode.window.showWarningMessage(text);
      else void showError(log, text);
      view.refresh();
      return outcome.result;
    },
  } };
}
