import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { NoteSource, NoteTag } from '../protocol/events';
import { utf8Bytes } from '../protocol/events';
import { Limits } from '../protocol/codes';
import { buildPermalink } from '../git/permalink';
import { fileGitContext, findRepository } from '../git/repository';
import { parseArgs } from './commandArgs';
import { UserFacingError } from './commandRunner';
import type { IncidentService } from './incidentService';
import { ask, pick } from './quickInput';

type Register = (id: string, fn: (...args: unknown[]) => unknown) => void;

/** The text kept from a selection: at most `maxChars` characters and the protocol's 16 KiB. */
export function capSnippet(text: string, maxChars: number): { snippet: string; cut: boolean } {
  let snippet = text.length > maxChars ? text.slice(0, maxChars) : text;
  while (utf8Bytes(snippet) > Limits.snippetBytes) snippet = snippet.slice(0, Math.floor(snippet.length * 0.9));
  return { snippet, cut: snippet.length < text.length };
}

/** `Add Selection to Timeline`: the selected code as a note with its file, lines, commit and permalink. */
export function registerScribeCommands(register: Register, service: IncidentService, maxChars: () => number): void {
  register('incidentRoom.addSelection', async (raw) => {
    const args = parseArgs('addSelection', raw);
    const s = service.requireIncident();
    const editor = vscode.window.activeTextEditor;
    if (!editor) throw new UserFacingError('open a file and select the lines to capture first');
    const selection = editor.selection;
    if (selection.isEmpty) throw new UserFacingError('select the lines to capture first (the selection is empty)');
    const doc = editor.document;
    const startLine = selection.start.line + 1;
    // A selection ending at column 0 of a line does not include that line.
    const endLine = Math.max(startLine, selection.end.character === 0 && selection.end.line > selection.start.line ? selection.end.line : selection.end.line + 1);
    const selected = doc.getText(selection);
    const cap = maxChars();
    const { snippet, cut } = capSnippet(selected, cap);

    const source: NoteSource = { path: doc.isUntitled ? doc.fileName : path.basename(doc.fileName), startLine, endLine, snippet };
    let caveat = '';
    if (doc.uri.scheme === 'file') {
      const ctx = await fileGitContext(doc.uri.fsPath).catch(() => undefined);
      if (ctx) {
        source.path = ctx.relativePath;
        if (ctx.head) source.commit = ctx.head;
        if (ctx.head && ctx.remote && ctx.tracked) {
          const link = buildPermalink(ctx.remote.url, ctx.head, ctx.relativePath, startLine, endLine);
          if (link) source.remoteUrl = link;
        }
        if (!ctx.tracked) caveat = ' (file not in git)';
        else if (ctx.modified || doc.isDirty) caveat = ' (uncommitted changes: lines may differ from the commit)';
      } else {
        const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
        source.path = folder ? path.relative(folder.uri.fsPath, doc.uri.fsPath).split(path.sep).join('/') : doc.uri.fsPath;
      }
    }
    const tag: NoteTag = args?.tag ?? (await pick(
      (['fact', 'guess', 'note', 'decision', 'action'] as NoteTag[]).map((t) => ({ label: t, value: t })),
      { title: `Add ${source.path}:${startLine}-${endLine} to ${s.id}`, placeHolder: 'What is this code to the incident?' },
    ));
    const comment = args ? args.text : await ask({ title: 'Add Selection to Timeline', prompt: 'Why it matters (optional; the code is attached)', required: false });
    const firstLine = snippet.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
    const cutNote = cut ? ` [selection cut to ${snippet.length} of ${selected.length} characters]` : '';
    const text = `${comment || `\`${firstLine.slice(0, 200)}\``}${caveat}${cutNote}`.slice(0, Limits.noteLength);
    const id = await service.append('note.added', { text, tag, source });
    void vscode.window.setStatusBarMessage(`Incident Room: ${source.path}:${startLine}-${endLine} added to ${s.id}${cut ? ` (cut to ${cap} characters)` : ''}`, 4000);
    return id;
  });
}

/** Open a scribe note's code at its lines; when the file is not here, open its permalink instead. */
export async function openNoteSource(service: IncidentService, noteId: string): Promise<void> {
  const note = service.focusedIncident?.notes.find((n) => n.id === noteId);
  const src = note?.source;
  if (!src) return;
  const rel = src.path.split('/').join(path.sep);
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const repo = await findRepository(folder.uri.fsPath).catch(() => undefined);
    for (const base of [repo?.root, folder.uri.fsPath]) {
      if (!base) continue;
      const candidate = path.resolve(base, rel);
      if (!candidate.startsWith(path.resolve(base))) continue; // a path from the channel never escapes the folder
      if (!(await fs.stat(candidate).then((st) => st.isFile(), () => false))) continue;
      const doc = await vscode.workspace.openTextDocument(candidate);
      const end = Math.min(src.endLine, doc.lineCount) - 1;
      const range = new vscode.Range(src.startLine - 1, 0, end, doc.lineAt(Math.max(0, end)).text.length);
      await vscode.window.showTextDocument(doc, { selection: range, preview: true });
      return;
    }
  }
  if (src.remoteUrl) {
    await vscode.env.openExternal(vscode.Uri.parse(src.remoteUrl));
    return;
  }
  void vscode.window.showWarningMessage(`Incident Room: ${src.path} is not in this workspace and the note has no permalink.`);
}
