// The extension inside a real VS Code: it activates, its manifest and its command registrations agree
// (CONVENTIONS.md #4: a contributed command without a handler, or a handler nobody can invoke, fails here),
// and the log command runs.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { until } from '../support/until';

const EXTENSION_ID = 'incident-room.incident-room';

interface Manifest {
  capabilities?: { untrustedWorkspaces?: { supported?: unknown; restrictedConfigurations?: string[] } };
  contributes?: {
    commands?: { command: string }[];
    views?: Record<string, { id: string }[]>;
    viewsWelcome?: { view: string; contents: string; when?: string }[];
    menus?: Record<string, { command: string; when?: string }[]>;
  };
}

async function activeExtension(): Promise<vscode.Extension<unknown>> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed in this VS Code`);
  await ext.activate();
  return ext;
}

suite('Extension', () => {
  test('activates', async () => {
    const ext = await activeExtension();
    assert.equal(ext.isActive, true);
  });

  test('every command contributed in package.json is registered', async () => {
    const manifest = (await activeExtension()).packageJSON as Manifest;
    const contributed = (manifest.contributes?.commands ?? []).map((c) => c.command);
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(contributed.filter((c) => !registered.has(c)), [], 'contributed but not registered');
  });

  test('every registered incidentRoom.* command is contributed in package.json', async () => {
    const manifest = (await activeExtension()).packageJSON as Manifest;
    const contributed = new Set((manifest.contributes?.commands ?? []).map((c) => c.command));
    // VS Code itself registers VIEW_ID.focus, VIEW_ID.resetViewLocation, ... for every contributed view
    const viewIds = Object.values(manifest.contributes?.views ?? {}).flat().map((v) => v.id);
    const ownedByView = (c: string) => viewIds.some((id) => c.startsWith(`${id}.`));
    const registered = (await vscode.commands.getCommands(true)).filter((c) => c.startsWith('incidentRoom.'));
    assert.deepEqual(registered.filter((c) => !contributed.has(c) && !ownedByView(c)), [], 'registered but not contributed');
  });

  test('"Incident: Show Log" shows the Incident Room log', async () => {
    await activeExtension();
    await vscode.commands.executeCommand('incidentRoom.showLog');
    // The shown output channel becomes a visible editor with an output: URI named after the channel.
    const editor = await until('the Incident Room output channel in an editor', () => vscode.window.visibleTextEditors.find(
      (e) => e.document.uri.scheme === 'output' && decodeURIComponent(e.document.uri.toString()).includes('Incident Room')));
    assert.match(editor.document.getText(), /activated in [\d.]+ ms/);
  });

  test('activation loads none of the lazy chunks (zod, ws, simple-git, the local host load on first use)', async () => {
    await activeExtension();
    await vscode.commands.executeCommand('incidentRoom.showLog');
    const editor = await until('the Incident Room output channel in an editor', () => vscode.window.visibleTextEditors.find(
      (e) => e.document.uri.scheme === 'output' && decodeURIComponent(e.document.uri.toString()).includes('Incident Room')));
    assert.match(editor.document.getText(), /activated in [\d.]+ ms; lazy chunks loaded: none\n/);
  });

  test('settings that choose where data goes or what runs apply from a workspace only once it is trusted', async () => {
    const manifest = (await activeExtension()).packageJSON as Manifest;
    const restricted = new Set(manifest.capabilities?.untrustedWorkspaces?.restrictedConfigurations ?? []);
    const mustBe = ['incidentRoom.server.url', 'incidentRoom.updates.webhookUrl', 'incidentRoom.escalation.url', 'incidentRoom.rollback.strategy', 'incidentRoom.rollback.command',
      'incidentRoom.rollback.push', 'incidentRoom.rollback.remote', 'incidentRoom.rollback.environmentBranch', 'incidentRoom.postmortem.folder'];
    assert.deepEqual(mustBe.filter((k) => !restricted.has(k)), [], 'not restricted in untrusted workspaces');
  });

  test('in Restricted Mode rollback is offered nowhere and the deploys view says why, with Manage Workspace Trust', async () => {
    const manifest = (await activeExtension()).packageJSON as Manifest;
    const rollbackMenus = Object.values(manifest.contributes?.menus ?? {}).flat().filter((m) => m.command === 'incidentRoom.rollback');
    assert.ok(rollbackMenus.length >= 3, 'the palette and the deploy row menus');
    assert.deepEqual(rollbackMenus.filter((m) => !/(^|&& )isWorkspaceTrusted( &&|$)/.test(m.when ?? '')), [], 'shown in an untrusted workspace');
    const welcome = manifest.contributes?.viewsWelcome?.find((w) => w.view === 'incidentRoom.deploys' && w.when === '!isWorkspaceTrusted');
    assert.ok(welcome, 'no welcome for the deploys view in Restricted Mode');
    assert.match(welcome.contents, /Restricted Mode/);
    assert.match(welcome.contents, /\(command:workbench\.trust\.manage\)/);
  });
});
