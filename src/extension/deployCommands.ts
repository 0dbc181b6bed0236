import * as z from 'zod';
import type { Deploy } from '../git/deployDiscovery';
import type { RepositoryLocation } from '../git/repository';
import { UserFacingError } from './commandRunner';
import type { DeployNode, DeploysView, FileNode } from './deploysView';
import type { IncidentService } from './incidentService';
import { ask, pick } from './quickInput';
import { requireGit } from './workspaceTrust';

type Register = (id: string, fn: (...args: unknown[]) => unknown) => void;

/** A deploy named in a command's argument object: `{ ref }` (tag name or sha), optionally `{ repo }` (its root). */
const DeployArgs = z.object({ ref: z.string().min(1).max(512), repo: z.string().optional(), reason: z.string().max(2000).optional() });

/** The deploy a command acts on: the tree node it was invoked on, the one named in its arguments, or a picked one. */
export async function resolveDeploy(view: DeploysView, raw: unknown, title: string): Promise<{ repo: RepositoryLocation; deploy: Deploy; reason?: string }> {
  if (isDeployNode(raw)) return { repo: raw.repo, deploy: raw.deploy };
  const all = await view.allDeploys();
  if (raw !== undefined && raw !== null && typeof raw === 'object') {
    const parsed = DeployArgs.safeParse(raw);
    if (!parsed.success) throw new UserFacingError(`argument ${parsed.error.issues[0]?.path.join('.') || ''}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const { ref, repo, reason } = parsed.data;
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

/** Open Deploy Diff, Flag as Suspect, Refresh, and the per-file diff of the tree. */
export function registerDeployCommands(register: Register, view: DeploysView, service: IncidentService): void {
  register('incidentRoom.openDeployDiff', async (raw) => {
    requireGit('Open Deploy Diff');
    const { repo, deploy } = await resolveDeploy(view, raw, 'Open Deploy Diff: which deploy?');
    return view.openDeployDiff(repo, deploy);
  });

  register('incidentRoom.openFileDiff', async (node) => {
    requireGit('Open File Diff');
    if (!node || typeof node !== 'object' || (node as FileNode).type !== 'file') throw new UserFacingError('pick a file under a deploy in Recent Deploys');
    await view.openFileDiff(node as FileNode);
  });

  register('incidentRoom.flagDeploy', async (raw) => {
    requireGit('Flag Deploy as Suspect');
    const s = service.requireIncident();
    const { deploy, reason: given } = await resolveDeploy(view, raw, `Flag a deploy as suspect in ${s.id}`);
    if (s.flaggedDeploys.some((f) => f.sha === deploy.sha)) throw new UserFacingError(`${deploy.label} is already flagged on ${s.id}`);
    const reason = given ?? (isDeployNode(raw) || raw === undefined ? (await ask({ prompt: `Why is ${deploy.label} suspect? (optional)`, required: false })) || undefined : undefined);
    await service.append('deploy.flagged', { ref: deploy.ref, sha: deploy.sha, subject: deploy.subject.slice(0, 2000), ...(reason ? { reason } : {}) });
    view.refresh();
  });

  register('incidentRoom.refreshDeploys', () => view.refresh(true));
}
