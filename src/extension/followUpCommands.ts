import * as vscode from 'vscode';
import { actionChecklistMarkdown, followUpIssue } from '../core/followUp';
import type { IncidentState } from '../core/incidentState';
import type { GitRepositories } from '../git/gitRepositories';
import { isNewIssueUrl, newIssueUrl, type Forge } from '../git/newIssueUrl';
import { parseRemoteUrl, type ParsedRemote } from '../git/permalink';
import { WebUrl } from '../protocol/events';
import type { CommandId } from '../protocol/commands';
import { UserFacingError, type CommandHandlers } from './commandRunner';
import type { IncidentService } from './incidentService';
import { ask, pick } from './quickInput';
import { gitAllowed } from './workspaceTrust';

type FollowUpCommandId = Extract<CommandId, 'incidentRoom.openActionAsIssue' | 'incidentRoom.copyActionItems'>;

const FORGE_NAMES: Record<Forge, string> = { github: 'GitHub', gitlab: 'GitLab', bitbucket: 'Bitbucket' };

/** Follow-ups leave the room: an action item opened as an issue on the forge, and all open ones as a checklist. */
export function followUpCommands(service: IncidentService, git: GitRepositories): CommandHandlers<FollowUpCommandId> {
  return {
    'incidentRoom.openActionAsIssue': { run: async ({ args, incident: s }) => {
      const actionId = args?.actionId ?? (await pickAction(s));
      const action = s.actions.find((a) => a.id === actionId);
      if (!action) throw new UserFacingError(`no action item ${actionId} in ${s.id}`);
      if (args?.issueUrl) {
        await service.append('action.updated', { actionId, issueUrl: args.issueUrl });
        return args.issueUrl;
      }
      const prompts = !args || args.open;
      // A filed issue is opened, not drafted again (that would file it twice).
      if (action.issueUrl && !isNewIssueUrl(action.issueUrl) && prompts) {
        await openUrl(action.issueUrl);
        return action.issueUrl;
      }
      // Drafted before: the responder may have filed it since (link it) or closed the tab (draft it again).
      if (action.issueUrl && isNewIssueUrl(action.issueUrl) && prompts) {
        const next = await pick([
          { label: 'Link the filed issue…', description: 'paste its URL', value: 'link' as const },
          { label: 'Open a new issue again', description: 'the prefilled page, as before', value: 'again' as const },
        ], { title: `"${action.title}" was opened as a new issue`, placeHolder: 'Was it filed?' });
        if (next === 'link') {
          const url = await askIssueUrl(action.title);
          await service.append('action.updated', { actionId, issueUrl: url });
          return url;
        }
      }
      const { remote, forge } = await forgeOf(git, !!args);
      const issue = followUpIssue(s, action);
      const link = newIssueUrl(remote, forge, issue);
      // The whole text goes on the clipboard too: Bitbucket's form takes no prefill, and a body cut to fit the URL
      // says the rest is there.
      await vscode.env.clipboard.writeText(`${issue.title}\n\n${issue.body}\n`);
      // The item records the new-issue page without its query: the prefilled URL can be 8,000 characters, an item's
      // link at most 2,048, and the query is the text on the clipboard anyway. Linking the filed issue replaces it.
      const page = link.url.split('?')[0] as string;
      if (action.issueUrl !== page) await service.append('action.updated', { actionId, issueUrl: page });
      if (!prompts) return link.url;
      await openUrl(link.url);
      const what = !link.prefilled
        ? `${FORGE_NAMES[forge]} does not take a prefilled issue: paste the title and text from the clipboard`
        : link.truncated ? 'the text was cut to fit a link; the whole of it is on the clipboard' : 'the text is also on the clipboard';
      void vscode.window.showInformationMessage(
        `Incident Room: opened a new ${FORGE_NAMES[forge]} issue for "${action.title}" (${what}). Once it is filed, link it to the action item.`,
        'Link Filed Issue…',
      ).then(async (choice) => {
        if (choice !== 'Link Filed Issue…') return;
        const url = await askIssueUrl(action.title).catch(() => undefined);
        if (url) await service.append('action.updated', { actionId, issueUrl: url });
      });
      return link.url;
    } },

    'incidentRoom.copyActionItems': { run: async ({ incident: s }) => {
      const { text, count } = actionChecklistMarkdown(s);
      await vscode.env.clipboard.writeText(text);
      void vscode.window.setStatusBarMessage(`Incident Room: ${count} open action item${count === 1 ? '' : 's'} of ${s.id} copied as a Markdown checklist`, 5000);
      return text;
    } },
  };
}

function askIssueUrl(title: string): Promise<string> {
  return ask({
    title: `Link the filed issue to "${title}"`, prompt: 'The issue\'s URL (from the browser\'s address bar)',
    validateInput: (v) => (WebUrl.safeParse(v.trim()).success ? undefined : 'An http(s) URL, at most 2048 characters'),
  });
}

/** Open action items first (newest first), then done ones. */
async function pickAction(s: IncidentState): Promise<string> {
  if (s.actions.length === 0) throw new UserFacingError(`${s.id} has no action items yet; add one with "Incident: Add Action Item"`);
  const items = [...s.actions].sort((a, b) => Number(a.done) - Number(b.done) || b.seq - a.seq).map((a) => ({
    label: a.title, value: a.id,
    description: [a.done ? 'done' : 'open', a.owner?.name, a.due ? `due ${a.due}` : '', a.issueUrl ? (isNewIssueUrl(a.issueUrl) ? 'issue drafted' : 'issue filed') : ''].filter(Boolean).join(' · '),
  }));
  return pick(items, { title: 'Open Action Item as Issue', placeHolder: 'Which action item?' });
}

/**
 * The repository's remote (the first workspace folder with one) and its forge; a host the URL does not name
 * (a self-hosted GitLab at git.example.com) is asked for, or GitHub-style for an argument object.
 */
async function forgeOf(git: GitRepositories, noPrompts: boolean): Promise<{ remote: ParsedRemote; forge: Forge }> {
  // Reading the remote runs git, which the repository's own config could make run programs (Workspace Trust).
  if (!gitAllowed()) throw new UserFacingError('Open as Issue reads the repository\'s remote with git, which Restricted Mode does not allow; trust the workspace, or use "Copy Action Items as Checklist"');
  let remote: ParsedRemote | undefined;
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const repo = await git.find(folder.uri.fsPath).catch(() => undefined);
    const url = (await repo?.remote().catch(() => undefined))?.url;
    remote = url ? parseRemoteUrl(url) : undefined;
    if (remote) break;
  }
  if (!remote) throw new UserFacingError('no git remote with a web page found in this workspace (Open as Issue needs the repository\'s GitHub, GitLab or Bitbucket remote); "Copy Action Items as Checklist" works without one');
  if (remote.kind !== 'other') return { remote, forge: remote.kind };
  if (noPrompts) return { remote, forge: 'github' };
  const forge = await pick((['gitlab', 'github', 'bitbucket'] as const).map((f) => ({ label: FORGE_NAMES[f], value: f })), {
    title: `Which forge serves ${remote.host}?`, placeHolder: 'Its new-issue page differs by forge (GitHub Enterprise, self-hosted GitLab, Bitbucket)',
  });
  return { remote, forge };
}

/** Open a URL the forge encoded as it must arrive (see the comment inside). */
async function openUrl(url: string): Promise<void> {
  // vscode.Uri.parse decodes the query and toString re-encodes it: `%23` arrives as `%2523`, `+` as a space
  // (microsoft/vscode#85930, #116753, #124704). openExternal takes a string as it is (microsoft/vscode#173239).
  if (!(await vscode.env.openExternal(url as unknown as vscode.Uri))) throw new UserFacingError(`the browser did not open ${url.slice(0, 120)}…`);
}
