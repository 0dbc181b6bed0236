import type { Workstream } from '../core/incidentState';
import type { CommandId } from '../protocol/commands';
import type { User, WorkstreamState } from '../protocol/events';
import { UserFacingError, type CommandHandlers } from './commandRunner';
import { pickPerson } from './incidentCommands';
import type { IncidentService } from './incidentService';
import { ask, pick } from './quickInput';
import { askWorkstreamTitle, openWorkstream, pickWorkstreamKind, workstreamItem } from './workstreamPrompts';

type WorkstreamCommandId = Extract<CommandId, 'incidentRoom.openWorkstream' | 'incidentRoom.updateWorkstream'>;
type Action = 'done' | 'dropped' | 'reassign' | 'reopen';

const ACTION_STATE: Readonly<Record<Exclude<Action, 'reassign'>, WorkstreamState>> = { done: 'done', dropped: 'dropped', reopen: 'open' };

/** Workstreams (#12): open one with a title, exactly one owner and a kind; mark it done or dropped, reassign it. */
export function workstreamCommands(service: IncidentService): CommandHandlers<WorkstreamCommandId> {
  return {
    'incidentRoom.openWorkstream': { run: async ({ args, incident: s }) => {
      if (args) return openWorkstream(service, args);
      const title = await askWorkstreamTitle('Open Workstream (1/3)');
      // Exactly one owner: the picker has no "nobody".
      const owner = (await pickPerson(s, service.me, `Open Workstream (2/3): who owns "${title}"?`, false, service.present)) as User;
      const kind = await pickWorkstreamKind('Open Workstream (3/3)');
      return openWorkstream(service, { title, owner, kind });
    } },

    'incidentRoom.updateWorkstream': { run: async ({ args, incident: s }) => {
      let w: Workstream | undefined;
      if (args) {
        w = s.workstreams.find((x) => x.id === args.workstreamId);
        if (!w) throw new UserFacingError(`no workstream ${args.workstreamId} in ${s.id}`);
      } else {
        if (!s.workstreams.length) throw new UserFacingError(`${s.id} has no workstreams yet; open one with "Incident: Open Workstream"`);
        // Open ones first (what is usually updated), then the closed ones, which can be reopened.
        const ordered = [...s.workstreams.filter((x) => x.state === 'open'), ...s.workstreams.filter((x) => x.state !== 'open')];
        w = await pick(ordered.map((x) => ({ ...workstreamItem(x, service.me.id), value: x })), { title: 'Update Workstream', placeHolder: 'Which workstream?' });
      }
      const action: Action = args?.action ?? (args?.owner ? 'reassign' : await pickAction(w));
      let owner: User | undefined;
      if (action === 'reassign') {
        owner = args?.owner ?? ((await pickPerson(s, service.me, `Who owns "${w.title}" now? (${w.owner.name} does)`, false, service.present)) as User);
        if (owner.id === w.owner.id) throw new UserFacingError(`${owner.name} already owns "${w.title}"`);
      }
      const state = action === 'reassign' ? undefined : ACTION_STATE[action];
      if (state && state === w.state) throw new UserFacingError(`"${w.title}" is already ${state}`);
      const note = args?.note ?? (await ask({
        title: `${ACTION_WORDS[action]}: ${w.title}`, required: false,
        prompt: action === 'reassign' ? `A note for ${owner?.name} (optional): where it stands` : 'A note (optional): what came of it',
        validateInput: (v) => (v.length > 2000 ? 'At most 2000 characters' : undefined),
      }));
      await service.append('workstream.updated', { workstreamId: w.id, ...(state ? { state } : {}), ...(owner ? { owner } : {}), ...(note ? { note } : {}) });
    } },
  };
}

const ACTION_WORDS: Readonly<Record<Action, string>> = { done: 'Done', dropped: 'Drop', reassign: 'Reassign', reopen: 'Reopen' };

function pickAction(w: Workstream): Promise<Action> {
  const items: { label: string; description: string; value: Action }[] = w.state === 'open'
    ? [
      { label: 'Done', description: 'the task is finished', value: 'done' },
      { label: 'Reassign…', description: `someone else owns it from now (${w.owner.name} does)`, value: 'reassign' },
      { label: 'Drop', description: 'no longer worth doing', value: 'dropped' },
    ]
    : [
      { label: 'Reopen', description: `it is ${w.state}; work on it again`, value: 'reopen' },
      { label: 'Reassign…', description: `${w.owner.name} owns it`, value: 'reassign' },
    ];
  return pick(items, { title: `Update Workstream: ${w.title}`, placeHolder: 'What happens to it?' });
}
