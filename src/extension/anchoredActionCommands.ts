import * as vscode from 'vscode';
import type { GitRepositories } from '../git/gitRepositories';
import { UserFacingError, type CommandHandlers } from './commandRunner';
import type { IncidentService } from './incidentService';
import { askActionItem } from './resolveCommands';
import { selectionSource } from './selectionSource';
import { showTrustMessage } from './workspaceTrust';

/**
 * Add Action Item from Selection (#16): a follow-up anchored to the selected code. Its `source` is built exactly as a
 * scribe note's (selectionSource.ts: path, lines, commit, permalink, snippet); it is asked like Add Action Item, the
 * title prefilled with the selection's first line. The ActionItemLens shows it on that code until it is done.
 */
export function anchoredActionCommands(service: IncidentService, maxChars: () => number, git: GitRepositories): CommandHandlers<'incidentRoom.addActionItemFromSelection'> {
  return { 'incidentRoom.addActionItemFromSelection': { run: async ({ args, incident: s }) => {
    const { source, gitRefused, where, document } = await selectionSource(git, maxChars(), 'the action item is about');
    // Its lens shows on files only: an untitled or virtual document has nowhere to keep it.
    if (document.uri.scheme !== 'file') throw new UserFacingError(`save ${document.isUntitled ? 'the file' : document.uri.path.split('/').pop() ?? 'it'} to the workspace first: an action item is anchored to a file`);
    const firstLine = (source.snippet ?? '').split(/\r\n|\r|\n/).find((l) => l.trim() !== '')?.trim() ?? '';
    const { title, owner, due } = args ?? (await askActionItem({
      title: `Add Action Item for ${where}`,
      prompt: `What should be done about ${where}? (the code is attached; shown on it until done)`,
      value: firstLine.slice(0, 200),
    }));
    const id = await service.append('action.added', { title, ...(owner ? { owner } : {}), ...(due ? { due } : {}), source });
    void vscode.window.setStatusBarMessage(`Incident Room: action item added to ${s.id}, anchored to ${where}`, 4000);
    if (gitRefused) {
      void showTrustMessage(`Incident Room: the action item was anchored to ${where} without its commit and permalink: in Restricted Mode Incident Room runs no git (the repository's own config could make git run programs).`);
    }
    return id;
  } } };
}
