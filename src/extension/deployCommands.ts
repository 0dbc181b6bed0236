import * as vscode from 'vscode';
import type { Deploy } from '../git/deployDiscovery';
import type { RepositoryLocation } from '../git/repository';
import type { CommandId, DeployArgs } from '../protocol/commands';
import type * as z from 'zod';
import { UserFacingError, type CommandHandlers, type ResolvedDeploy } from './commandRunner';
import type { DeployNode, DeploysView, FileNode } from './deploysView';
import type { IncidentService } from './incidentService';
import { ask, pick } from './quickInput';

/** A deploy a command acts on, with the reason its argument object gave. */
export type DeployTarget = ResolvedDeploy<RepositoryLocation, Deploy>;

/**
 * The deploy a command acts on (its table entry needs one): the tree node it was invoked on, the one named in its
 * argument object (already validated), or a picked one.
 */
export async function resolveDeploy(view: DeploysView, raw: unknown, args: z.infer<typeof DeployArgs> | undefined, title: string): Promise<DeployTarget> {
  if (isDeployNode(raw)) return { repo: raw.repo, deploy: raw.deploy };
  const all = await view.allDeploys();
  if (args) {
    const { ref, repo, reason } = args;
    const found = all.find((d) => (!repo || d.repo.root === repo) && (d.deploy.ref === ref || d.deploy.label === ref || d.deploy.sha.startsWith(ref) || d.deploy.aliases.includes(ref)));
    if (!found) throw new UserFacingError(`no deploy "${ref}" among the recent deploys${repo ? ` of ${repo}` : ''}`);
    return { ...found, ...(reason ? { reason } : {}) };
  }
  if (all.length === 0) throw new UserFacingError('no deploys found in this workspace (deploys are tags like deploy/*, release-*, v*, or a deploy branch; see incidentRoom.deploys)');
  const multiRepo = new Set(all.map((d) => d.repo.root)).size > 1;
  return pick(all.map((d) => ({
    label: d.deploy.label,
    description: `${new Date(d.deploy.time).toLocaleString()} · ${d.deploy.author.name}${d.deploy.commitCount !== undefined ? ` · ${d.deploy.commitCount} commits` : ''}`,
    detail: `${d.deploy.subject}${multiRepo ? ` — ${d.repo.root}` : ''}`,
    value: d,
  })), { title, matchOnDetail: true });
}

function isDeployNode(v: unknown): v is DeployNode {
  return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'deploy' && 'deploy' in v;
}

type DeployCommandId = Extract<CommandId, 'incidentRoom.openDeployDiff' | 'incidentRoom.openFileDiff' | 'incidentRoom.flagDeploy' | 'incidentRoom.refreshDeploys' | 'incidentRoom.openDeploySettings'>;

/** Open Deploy Diff, Flag as Suspect, Refresh, Open Deploy Settings, and the per-file diff of the tree. */
export function deployCommands(view: DeploysView, service: IncidentService): CommandHandlers<DeployCommandId, DeployTarget> {
  return {
    'incidentRoom.openDeploySettings': { run: () => vscode.commands.executeCommand('workbench.action.openSettings', 'incidentRoom.deploys') },

    'incidentRoom.openDeployDiff': {
      deployPrompt: () => 'Open Deploy Diff: which deploy?',
      run: ({ deploy: { repo, deploy } }) => view.openDeployDiff(repo, deploy),
    },

    'incidentRoom.openFileDiff': {
      run: async ({ raw: node }) => {
        if (!node || typeof node !== 'object' || (node as FileNode).type !== 'file') throw new UserFacingError('pick a file under a deploy in Recent Deploys');
        await view.openFileDiff(node as FileNode);
      },
    },

    'incidentRoom.flagDeploy': {
      deployPrompt: (s) => `Flag a deploy as suspect in ${s?.id ?? 'the incident'}`,
      run: async ({ raw, incident: s, deploy: { deploy, reason: given } }) => {
        if (s.flaggedDeploys.some((f) => f.sha === deploy.sha)) throw new UserFacingError(`${deploy.label} is already flagged on ${s.id}`);
        // Asked when the user picked the deploy (a tree node, or no argument); an argument object says all it means to.
        const reason = given ?? (isDeployNode(raw) || raw === undefined ? (await ask({ prompt: `Why is ${deploy.label} suspect? (optional)`, required: false })) || undefined : undefined);
        await service.append('deploy.flagged', { ref: deploy.ref, sha: deploy.sha, subject: deploy.subject.slice(0, 2000), ...(reason ? { reason } : {}) });
        view.refresh();
      },
    },

    'incidentRoom.refreshDeploys': { run: () => view.refresh(true) },
  };
}
