// Opening a scribe note's source inside a real VS Code: the note's path comes from the channel, so it opens only
// when it stays inside a workspace folder (by path relation, after symlinks), and its permalink opens only when it
// is an http(s) link.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Container } from '../../src/extension/container';
import { openNoteSource, webLink } from '../../src/extension/scribeCapture';
import { until } from '../support/until';
import { activateOnline } from './extensionUnderTest';


suite('Opening a note\'s source', () => {
  let c: Container;
  let folder: string;

  suiteSetup(async function () {
    this.timeout(60_000);
    c = await activateOnline();
    const first = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(first, 'the integration workbench opens a folder');
    folder = first;
    const id = await vscode.commands.executeCommand<string>('incidentRoom.declare', { title: 'Note sources', severity: 'SEV3' });
    await until('incident focused', () => c.service.focusedIncident?.id === id);
  });

  const addNote = async (source: { path: string; startLine: number; endLine: number; remoteUrl?: string }): Promise<string> => {
    const id = await c.service.append('note.added', { text: `source ${source.path}`, tag: 'note', source });
    await until('note folded', () => c.service.focusedIncident?.notes.some((n) => n.id === id));
    return id;
  };
  const shown = (file: string) => vscode.window.visibleTextEditors.some((e) => e.document.uri.fsPath === file);

  test('a path into a sibling folder with the same prefix (../<folder>-secrets/.env) is not opened; a path inside is', async () => {
    const secrets = `${folder}-secrets`;
    fs.mkdirSync(secrets, { recursive: true });
    const secret = path.join(secrets, '.env');
    fs.writeFileSync(secret, 'TOKEN=do-not-open\n');
    fs.writeFileSync(path.join(folder, 'inside.txt'), 'one\ntwo\nthree\n');

    await openNoteSource(c.service, await addNote({ path: `../${path.basename(folder)}-secrets/.env`, startLine: 1, endLine: 1 }), c.git);
    assert.equal(shown(secret), false, 'the file outside the workspace folder was opened');
    assert.equal(vscode.workspace.textDocuments.some((d) => d.uri.fsPath === secret), false);

    await openNoteSource(c.service, await addNote({ path: 'inside.txt', startLine: 2, endLine: 2 }), c.git);
    const editor = await until('inside.txt shown', () => vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath.endsWith(`${path.sep}inside.txt`)));
    assert.equal(editor.selection.start.line, 1);
  });

  test('a symlink in the folder that leads outside it is not followed', async function () {
    if (process.platform === 'win32') this.skip();
    const secret = path.join(`${folder}-secrets`, '.env');
    fs.symlinkSync(secret, path.join(folder, 'config.env'));
    await openNoteSource(c.service, await addNote({ path: 'config.env', startLine: 1, endLine: 1 }), c.git);
    assert.equal(vscode.workspace.textDocuments.some((d) => d.uri.fsPath === secret || d.uri.fsPath === path.join(folder, 'config.env')), false);
  });

  test('only an http(s) permalink is handed to openExternal', () => {
    for (const bad of ['javascript:alert(1)', 'command:workbench.action.terminal.new', 'file:///etc/passwd', 'vscode://vscode.git/clone?url=x', 'HTTPS:/evil', '']) {
      assert.equal(webLink(bad), undefined, bad);
    }
    const link = webLink('https://github.com/acme/shop/blob/0123456789abcdef0123456789abcdef01234567/src/a.ts#L2-L3');
    assert.equal(link?.scheme, 'https');
    assert.equal(link?.authority, 'github.com');
  });
});
