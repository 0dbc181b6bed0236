// The incident commands inside a real VS Code, in local mode (no server configured): each runs with an argument
// object (as a keybinding or automation would) and changes the incident the sidebar and status bar show.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Container } from '../../src/extension/container';
import { until } from '../support/until';
import { activateOnline } from './extensionUnderTest';


const run = <T = unknown>(id: string, args?: unknown): Thenable<T> => vscode.commands.executeCommand<T>(id, args);

suite('Incident commands (local mode)', () => {
  let c: Container;
  let incidentId: string;

  suiteSetup(async function () {
    this.timeout(60_000);
    c = await activateOnline();
  });

  test('local mode works with no server configured', () => {
    assert.equal(c.service.mode, 'local');
    assert.equal(c.service.connection.status, 'online');
  });

  test('declare with an argument object focuses the new incident, declarer as commander', async () => {
    incidentId = (await run<string>('incidentRoom.declare', { title: 'Checkout 5xx', severity: 'SEV2', symptom: 'errors at checkout', scope: 'EU' })) as string;
    assert.match(incidentId, /^INC-\d+$/);
    const s = await until('incident folded', () => c.service.focusedIncident?.id === incidentId && c.service.focusedIncident);
    assert.equal(s.title, 'Checkout 5xx');
    assert.equal(s.severity, 'SEV2');
    assert.equal(s.roles.commander.holder?.id, c.service.me.id);
    assert.match(c.statusBar.text, new RegExp(`SEV2 ${incidentId} · \\d+m · you: Commander · update in \\d+m`));
  });

  test('severity, status, roles, notes, retag, update, action items all land on the incident', async () => {
    await run('incidentRoom.changeSeverity', { severity: 'SEV1', reason: 'all regions' });
    await run('incidentRoom.setStatus', { status: 'identified', note: 'bad deploy' });
    await run('incidentRoom.assignRole', { role: 'scribe', user: { id: 'sam@example.com', name: 'Sam' } });
    await run('incidentRoom.takeRole', { role: 'tech_lead' });
    await run('incidentRoom.handOffRole', { role: 'commander', to: { id: 'kim@example.com', name: 'Kim' }, brief: 'rollback running' });
    await run('incidentRoom.addNote', { text: 'pool exhausted?', tag: 'guess' });
    const s1 = await until('guess', () => c.service.focusedIncident?.notes.find((n) => n.tag === 'guess'));
    await run('incidentRoom.retagNote', { noteId: s1.id, tag: 'refuted' });
    await run('incidentRoom.postUpdate', { audience: 'internal', text: 'Rolling back release-42.' });
    await run('incidentRoom.addActionItem', { title: 'Alert on pool saturation', due: '2020-01-01' });
    const action = await until('action', () => c.service.focusedIncident?.actions[0]);
    await run('incidentRoom.completeActionItem', { actionId: action.id, done: true });
    const s = await until('all applied', () => {
      const st = c.service.focusedIncident;
      return st && st.actions[0]?.done && st.notes[0]?.tag === 'refuted' && st.updates.length === 1 ? st : undefined;
    });
    assert.equal(s.severity, 'SEV1');
    assert.equal(s.status, 'identified');
    assert.equal(s.roles.scribe.holder?.name, 'Sam');
    assert.equal(s.roles.tech_lead.holder?.id, c.service.me.id);
    assert.equal(s.roles.commander.holder?.name, 'Kim');
    assert.equal(s.roles.commander.history.at(-1)?.brief, 'rollback running');
    assert.ok(s.roles.commander.history[0]?.renouncedAt, 'the first commander tenure ended');
    assert.equal(s.updates[0]?.text, 'Rolling back release-42.');
  });

  test('the sidebar model shows the incident, my role and the timeline newest first', async () => {
    // The view model follows the folded state; wait for the last event of the previous test to be in it.
    const state = await until('sidebar up to date', () => {
      const st = c.view.snapshot();
      return st.incident?.id === incidentId && st.incident.actions[0]?.done && st.incident.timeline.length >= 11 && st.connection.queued === 0 ? st : undefined;
    });
    assert.deepEqual(state.incident?.myRoles, ['Tech Lead']);
    const timeline = state.incident?.timeline ?? [];
    assert.ok((timeline[0]?.seq ?? 0) > (timeline.at(-1)?.seq ?? 0), 'newest first');
    assert.equal(state.incident?.timelineTotal, timeline.length);
    assert.equal(new Set(timeline.map((e) => e.key)).size, timeline.length, 'no event shown twice (queued and sequenced)');
    assert.match(state.connection.text, /^online · local/);
  });

  test('edit an action item, switch incidents, export the log and write the postmortem to a folder', async () => {
    const action = await until('action', () => c.service.focusedIncident?.actions[0]);
    await run('incidentRoom.editActionItem', { actionId: action.id, title: 'Alert on pool saturation at 80%', due: null });
    await until('edited', () => c.service.focusedIncident?.actions[0]?.title === 'Alert on pool saturation at 80%' && c.service.focusedIncident.actions[0].due === undefined);
    const other = await run<string>('incidentRoom.declare', { title: 'Second incident', severity: 'SEV4' });
    await until('focus moved', () => c.service.focusedIncident?.id === other);
    await run('incidentRoom.switchIncident', { incidentId });
    await until('focus back', () => c.service.focusedIncident?.id === incidentId);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-export-'));
    const exported = await run<string>('incidentRoom.exportIncident', { path: path.join(dir, 'incident.json') });
    const json = JSON.parse(fs.readFileSync(exported, 'utf8')) as { format: string; incident: { id: string }; events: { seq: number }[] };
    assert.equal(json.format, 'incident-room/v1');
    assert.equal(json.incident.id, incidentId);
    assert.equal(json.events.length, c.service.focusedIncident?.headSeq);
    const written = await run<string>('incidentRoom.generatePostmortem', { folder: path.join(dir, 'postmortems') });
    assert.match(path.basename(written), new RegExp(`^\\d{4}-\\d{2}-\\d{2}-${incidentId}-checkout-5xx\\.md$`));
    assert.match(fs.readFileSync(written, 'utf8'), /## Timeline/);
  });

  test('Set Channel Token in local mode is refused (a token belongs to a server) and the local channel stays up', async () => {
    const before = c.service.connection.status;
    await run('incidentRoom.setToken', { token: 'secret' });
    assert.equal(c.service.mode, 'local');
    assert.equal(c.service.connection.status, before);
  });

  test('Set Your Name and Id changes who you are on the channel; Connect to Channel reconnects', async () => {
    const before = c.service.me;
    await run('incidentRoom.setIdentity', { id: 'kim@example.com', name: 'Kim' });
    await until('new identity', () => c.service.me.id === 'kim@example.com' && c.service.me.name === 'Kim' && c.service.connection.status === 'online' && c.service.focusedIncident, 30_000);
    await run('incidentRoom.addNote', { text: 'as Kim', tag: 'note' });
    const note = await until('note by Kim', () => c.service.focusedIncident?.notes.find((n) => n.text === 'as Kim'));
    assert.equal(note.actor.name, 'Kim');
    await run('incidentRoom.setIdentity', { id: before.id, name: before.name });
    await until('identity restored', () => c.service.me.id === before.id && c.service.connection.status === 'online', 30_000);
    await run('incidentRoom.connect');
    await until('online again', () => c.service.connection.status === 'online', 30_000);
  });

  test('a bad argument object is refused with a clear message and records nothing', async () => {
    const before = c.service.focusedIncident?.headSeq;
    const queued = c.service.queued.length;
    // The command resolves after its handler: an event it recorded would be in the outbox by then.
    await run('incidentRoom.changeSeverity', { severity: 'SEV9' });
    assert.equal(c.service.queued.length, queued, 'the refused command queued an event');
    assert.equal(c.service.focusedIncident?.headSeq, before);
  });

  test('Add Selection to Timeline records path, lines, commit and permalink from a real git repo', async () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-scribe-'));
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } }).trim();
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'dev@example.com');
    git('config', 'user.name', 'Dev');
    git('remote', 'add', 'origin', 'git@github.com:acme/shop.git');
    fs.mkdirSync(path.join(repo, 'src'));
    fs.writeFileSync(path.join(repo, 'src', 'checkout.ts'), ['line 1', 'const pool = 10;', 'const retries = 0;', 'line 4'].join('\n'));
    git('add', '.');
    git('commit', '-q', '-m', 'checkout');
    const head = git('rev-parse', 'HEAD');
    const doc = await vscode.workspace.openTextDocument(path.join(repo, 'src', 'checkout.ts'));
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(1, 0, 2, 18);
    await run('incidentRoom.addSelection', { tag: 'fact', text: 'pool too small' });
    const note = await until('scribe note', () => c.service.focusedIncident?.notes.find((n) => n.source?.path === 'src/checkout.ts'));
    assert.equal(note.tag, 'fact');
    assert.equal(note.text, 'pool too small');
    assert.deepEqual([note.source?.startLine, note.source?.endLine], [2, 3]);
    assert.equal(note.source?.commit, head);
    assert.equal(note.source?.remoteUrl, `https://github.com/acme/shop/blob/${head}/src/checkout.ts#L2-L3`);
    assert.equal(note.source?.snippet, 'const pool = 10;\nconst retries = 0;');
  });
});
