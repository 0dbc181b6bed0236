import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import type { NoteTag } from '../protocol/events';
import { WebUrl } from '../protocol/events';
import { scribeNoteText } from '../core/scribeNote';
import { resolveInside } from '../git/pathContainment';
import type { GitRepositories } from '../git/gitRepositories';
import type { CommandHandlers } from './commandRunner';
import type { IncidentService } from './incidentService';
import { ask, pick } from './quickInput';
import { selectionSource } from './selectionSource';
import { gitAllowed, showTrustMessage } from './workspaceTrust';

/** `Add Selection to Timeline`: the selected code as a note with its file, lines, commit and permalink. */
export function scribeCommands(service: IncidentService, maxChars: () => number, git: GitRepositories): CommandHandlers<'incidentRoom.addSelection'> {
  return { 'incidentRoom.addSelection': { run: async ({ args, incident: s }) => {
    const cap = maxChars();
    const { source, selected, cut, caveat, gitRefused, where } = await selectionSource(git, cap, 'to capture');
    const { snippet = '', startLine, endLine } = source;
    const tag: NoteTag = args?.tag ?? (await pick(
      (['fact', 'guess', 'note', 'decision', 'action'] as NoteTag[]).map((t) => ({ label: t, value: t })),
      { title: `Add ${source.path}:${startLine}-${endLine} to ${s.id}`, placeHolder: 'What is this code to the incident?' },
    ));
    const comment = args ? args.text : await ask({ title: 'Add Selection to Timeline', prompt: 'Why it matters (optional; the code is attached)', required: false });
    const text = scribeNoteText({ comment: comment ?? '', snippet, selectedLength: selected.length, cut, caveat });
    const id = await service.append('note.added', { text, tag, source });
    void vscode.window.setStatusBarMessage(`Incident Room: ${where} added to ${s.id}${cut ? ` (cut to ${cap} characters)` : ''}`, 4000);
    if (gitRefused) {
      void showTrustMessage(`Incident Room: ${where} was added to ${s.id} without its commit and permalink: in Restricted Mode Incident Room runs no git (the repository's own config could make git run programs).`);
    }
    return id;
  } } };
}

/** Open a scribe note's code at its lines; when the file is not here, open its permalink instead. */
export async function openNoteSource(service: IncidentService, noteId: string, git: GitRepositories): Promise<void> {
  const note = service.focusedIncident?.notes.find((n) => n.id === noteId);
  const src = note?.source;
  if (!src) return;
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    // The repository root only when git may run here; the folder itself always.
    const repo = gitAllowed() ? await git.find(folder.uri.fsPath).catch(() => undefined) : undefined;
    for (const base of [repo?.root, folder.uri.fsPath]) {
      if (!base) continue;
      // The path comes from the channel: it must stay inside the folder, also through symlinks.
      const file = await resolveInside(base, src.path);
      if (!file || !(await fs.stat(file).then((st) => st.isFile(), () => false))) continue;
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
      const end = Math.min(src.endLine, doc.lineCount) - 1;
      const range = new vscode.Range(src.startLine - 1, 0, end, doc.lineAt(Math.max(0, end)).text.length);
      await vscode.window.showTextDocument(doc, { selection: range, preview: true });
      return;
    }
  }
  if (src.remoteUrl) {
    const link = webLink(src.remoteUrl);
    if (!link) {
      void vscode.window.showWarningMessage(`Incident Room: the permalink of ${src.path} is not an http(s) link, so it was not opened.`);
      return;
    }
    await vscode.env.openExternal(link);
    return;
  }
  void vscode.window.showWarningMessage(`Incident Room: ${src.path} is not in this workspace and the note has no permalink.`);
}

/**
 * `raw` as a Uri to hand to openExternal, only when it is an http(s) URL, checked again right before opening
 * (the schema checks it on arrival; a stored event from before that check, or a parser that reads it
 * differently, must still not open `command:`, `file:` or `vscode:` links).
 */
export function webLink(raw: string): vscode.Uri | undefined {
  if (!WebUrl.safeParse(raw).success) return undefined;
  let uri: vscode.Uri;
  try {
    uri = vscode.Uri.parse(raw, true);
  } catch {
    return undefined;
  }
  return uri.scheme === 'http' || uri.scheme === 'https' ? uri : undefined;
}
