import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMAND_IDS, COMMANDS, CommandArgsError, parseCommandArgs, SIDEBAR_ARGS, type CommandDecl } from '../../../src/protocol/commands';

interface Manifest {
  contributes: {
    commands: { command: string; title?: string; category?: string }[];
    menus: Record<string, { command: string }[]>;
    keybindings?: { command: string }[];
  };
}
const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as Manifest;
const contributed = manifest.contributes.commands.map((c) => c.command);

describe('protocol/commands: the command table', () => {
  it('holds exactly the commands package.json contributes (adding one means both, or this fails)', () => {
    assert.deepEqual(COMMAND_IDS.filter((id) => !contributed.includes(id)), [], 'in the table but not contributed in package.json');
    assert.deepEqual(contributed.filter((id) => !(COMMAND_IDS as string[]).includes(id)), [], 'contributed in package.json but not in the table');
    assert.equal(new Set(contributed).size, contributed.length, 'a command is contributed twice');
  });

  it('every contributed command has a title and the Incident category (how the palette shows it)', () => {
    for (const c of manifest.contributes.commands) {
      assert.ok(c.title && c.title.length > 2, `${c.command} has no title`);
      assert.equal(c.category, 'Incident', `${c.command}`);
    }
  });

  it('menus and keybindings name only commands of the table', () => {
    const named = [...Object.values(manifest.contributes.menus).flat(), ...(manifest.contributes.keybindings ?? [])].map((m) => m.command);
    assert.ok(named.length > 5);
    assert.deepEqual(named.filter((id) => !(COMMAND_IDS as string[]).includes(id)), []);
  });

  it('the sidebar may pass arguments only as strict objects (an extra key is refused)', () => {
    assert.ok(SIDEBAR_ARGS.size > 10);
    for (const [id, schema] of SIDEBAR_ARGS) {
      if (schema === 'no-args') continue;
      const withExtra = schema.safeParse({ __extra: 1 });
      assert.ok(!withExtra.success, `${id}: the sidebar's argument schema accepts anything`);
      assert.match(withExtra.error.issues.map((i) => i.message).join(' '), /Unrecognized key|expected/i, id);
    }
    // what would skip a prompt, a draft or a confirm is not the sidebar's to pass
    for (const id of ['incidentRoom.postUpdate', 'incidentRoom.exportIncident', 'incidentRoom.generatePostmortem', 'incidentRoom.setIdentity', 'incidentRoom.declare'] as const) {
      assert.equal(SIDEBAR_ARGS.get(id), 'no-args', id);
    }
    assert.equal(SIDEBAR_ARGS.has('incidentRoom.setToken'), false, 'a token is never typed into the sidebar');
  });

  it('a command that needs a deploy takes the deploy arguments; one that needs trust names what is refused', () => {
    for (const [id, d] of Object.entries(COMMANDS) as [string, CommandDecl][]) {
      if (d.needs?.deploy) assert.ok(d.args?.safeParse({ ref: 'release-42' }).success, `${id} needs a deploy but does not take { ref }`);
      if (d.needs?.trust) assert.match(d.needs.trust, /^[A-Z]/, id);
    }
    assert.ok(COMMANDS['incidentRoom.rollback'].needs.trust);
  });
});

describe('protocol/commands: parseCommandArgs', () => {
  it('returns the validated argument object, with defaults applied', () => {
    assert.deepEqual(parseCommandArgs('incidentRoom.addNote', { text: 'pool exhausted' }), { text: 'pool exhausted', tag: 'note' });
    assert.deepEqual(parseCommandArgs('incidentRoom.rollback', { ref: 'release-42' }), { ref: 'release-42' });
  });

  it('refuses a bad object with the command and the field named, before anything runs', () => {
    assert.throws(() => parseCommandArgs('incidentRoom.changeSeverity', { severity: 'SEV9' }), (e: unknown) => {
      assert.ok(e instanceof CommandArgsError);
      assert.equal(e.field, 'severity');
      assert.match(e.message, /^incidentRoom\.changeSeverity: argument severity: /);
      return true;
    });
    assert.throws(() => parseCommandArgs('incidentRoom.rollback', { ref: '' }), /incidentRoom\.rollback: argument ref:/);
    const triage = { users: { share: 'few' }, regions: [], routes: [], tenants: [], trend: 'stable', customer: { level: 'none' }, financial: { level: 'none' }, dataIntegrity: { level: 'maybe' } };
    assert.throws(() => parseCommandArgs('incidentRoom.triage', triage), /incidentRoom\.triage: argument dataIntegrity\.level:/);
  });

  it('treats no argument, a Uri from a menu and a tree item as "prompt instead"', () => {
    assert.equal(parseCommandArgs('incidentRoom.addSelection', undefined), undefined);
    assert.equal(parseCommandArgs('incidentRoom.addSelection', { scheme: 'file', path: '/repo/a.ts', authority: '' }), undefined);
    assert.equal(parseCommandArgs('incidentRoom.rollback', { type: 'deploy', repo: { root: '/r' }, deploy: {} }), undefined);
    assert.equal(parseCommandArgs('incidentRoom.connect', { anything: 1 }), undefined, 'a command without arguments ignores them');
  });
});
