import * as path from 'node:path';
import * as vscode from 'vscode';
import type { NoteSource } from '../protocol/events';
import { capSnippet } from '../core/scribeNote';
import { buildPermalink } from '../git/permalink';
import type { GitRepositories } from '../git/gitRepositories';
import { UserFacingError } from './commandRunner';
import { gitAllowed } from './workspaceTrust';

/** The code of an editor selection as an event's `source`, and what the note or item says about it. */
export interface SelectionSource {
  /** Path, lines, commit, permalink, snippet: a scribe note's and an anchored action item's `source`. */
  readonly source: NoteSource;
  /** The selected text before it was capped to the snippet. */
  readonly selected: string;
  /** The selection was longer than the snippet keeps. */
  readonly cut: boolean;
  /** Why the provenance is partial, e.g. ` (file not in git)`; '' when it is whole. */
  readonly caveat: string;
  /** A file whose commit and permalink were left out because git may not run here (Restricted Mode): say so. */
  readonly gitRefused: boolean;
  /** `path:start-end`, for messages. */
  readonly where: string;
  /** The editor's document, for messages that name it. */
  readonly document: vscode.TextDocument;
}

/**
 * The active editor's selection as a `source` (Add Selection to Timeline, Add Action Item from Selection): its path
 * in its repository, 1-based lines, HEAD commit and permalink when git may run and knows the file, and the selected
 * text capped to `maxChars` (and the protocol's 16 KiB). Throws a clear message without an editor or a selection.
 */
export async function selectionSource(git: GitRepositories, maxChars: number, what: string): Promise<SelectionSource> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) throw new UserFacingError(`open a file and select the lines ${what} first`);
  const selection = editor.selection;
  if (selection.isEmpty) throw new UserFacingError(`select the lines ${what} first (the selection is empty)`);
  const doc = editor.document;
  const startLine = selection.start.line + 1;
  // A selection ending at column 0 of a line does not include that line.
  const endLine = Math.max(startLine, selection.end.character === 0 && selection.end.line > selection.start.line ? selection.end.line : selection.end.line + 1);
  const selected = doc.getText(selection);
  const { snippet, cut } = capSnippet(selected, maxChars);

  const source: NoteSource = { path: doc.isUntitled ? doc.fileName : path.basename(doc.fileName), startLine, endLine, snippet };
  let caveat = '';
  // In Restricted Mode no git runs (the repository's config could make it run programs): the source keeps its file
  // and lines, without commit or permalink, and the caller says so.
  const withGit = gitAllowed();
  if (doc.uri.scheme === 'file') {
    const ctx = withGit ? await git.fileContext(doc.uri.fsPath).catch(() => undefined) : undefined;
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
      source.path = workspaceRelativePath(doc.uri) ?? doc.uri.fsPath;
      if (!withGit) caveat = ' (no git info: workspace not trusted)';
    }
  }
  return { source, selected, cut, caveat, gitRefused: !withGit && doc.uri.scheme === 'file', where: `${source.path}:${startLine}-${endLine}`, document: doc };
}

/** A file's path relative to its workspace folder, `/`-separated; undefined outside every folder. */
export function workspaceRelativePath(uri: vscode.Uri): string | undefined {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  return folder ? path.relative(folder.uri.fsPath, uri.fsPath).split(path.sep).join('/') : undefined;
}
