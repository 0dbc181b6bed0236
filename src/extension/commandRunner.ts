import * as vscode from 'vscode';
import type { IncidentState } from '../core/incidentState';
import type { ArgsOf, COMMANDS, CommandId } from '../protocol/commands';
import type { ErrorAction } from './errors';

export { errorMessage, UserFacingError, type ErrorAction } from './errors';

type NeedsOf<Id extends CommandId> = (typeof COMMANDS)[Id] extends { needs: infer N } ? N : Record<never, never>;

/** A deploy a command acts on (see deployCommands.ts resolveDeploy). */
export interface ResolvedDeploy<Repo = unknown, Deploy = unknown> {
  readonly repo: Repo;
  readonly deploy: Deploy;
  readonly reason?: string;
}

/** What a handler gets: its validated arguments and what its table entry said it needs, resolved. */
export interface CommandContext<Id extends CommandId, D extends ResolvedDeploy = ResolvedDeploy> {
  readonly id: Id;
  /** The palette title ("Set Status"). */
  readonly title: string;
  /** The argument object, validated; undefined when the command should prompt. */
  readonly args: ArgsOf<Id> | undefined;
  /** The first argument as VS Code passed it: a tree node or a Uri from a menu, the argument object, or nothing. */
  readonly raw: unknown;
  readonly incident: NeedsOf<Id> extends { incident: true } ? IncidentState : undefined;
  readonly deploy: NeedsOf<Id> extends { deploy: true } ? D : undefined;
}

export interface CommandHandler<Id extends CommandId, D extends ResolvedDeploy = ResolvedDeploy> {
  /** The title of the deploy picker, for commands that need a deploy and were given none. */
  readonly deployPrompt?: (incident: IncidentState | undefined) => string;
  run(context: CommandContext<Id, D>): unknown;
}

/** Handlers of some of the table's commands (each command file exports one such object). */
export type CommandHandlers<Ids extends CommandId, D extends ResolvedDeploy = ResolvedDeploy> = { readonly [Id in Ids]: CommandHandler<Id, D> };

/** What the wrapper resolves for a command's needs (the container provides it). */
export interface CommandNeeds<D extends ResolvedDeploy> {
  readonly log: vscode.LogOutputChannel;
  /**
   * Throws unless git and configured commands may run (Workspace Trust); `what` names what is refused, `why` why it
   * needs trust when that is not git.
   */
  requireTrust(what: string, why?: string): void;
  requireIncident(): IncidentState;
  resolveDeploy(raw: unknown, args: unknown, title: string): Promise<D>;
}

/**
 * Register one command of the table. At activation this is all that happens: the table, its argument schemas and
 * the handler (`handler()` builds them on first use) load when the command first runs (dist/commands.js). Then
 * `runCommand` (commandInvoke.ts) resolves its needs in the table's order (trust, arguments, incident, deploy), runs the handler,
 * and turns whatever it throws into one clear message with the actions that fix it.
 */
export function createCommand<Id extends CommandId, D extends ResolvedDeploy>(
  id: Id, title: string, handler: () => CommandHandler<Id, D>, needs: CommandNeeds<D>,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, (raw?: unknown) =>
    commandsChunk().runCommand(id, title, handler, needs, raw));
}

/** An error message with its actions and a Show Log button that shows the Incident Room log. */
export async function showError(log: vscode.LogOutputChannel, message: string, actions: readonly ErrorAction[] = []): Promise<void> {
  const choice = await vscode.window.showErrorMessage(message, ...actions.map((a) => a.title), 'Show Log');
  if (choice === 'Show Log') log.show();
  const action = actions.find((a) => a.title === choice);
  if (action) await vscode.commands.executeCommand(action.command, ...(action.args ?? []));
}

/**
 * What running commands takes, loaded on the first command: the table's schemas, the handlers, their prompts, the
 * error mapping (the lazy chunk dist/commands.js).
 */
export function commandsChunk(): typeof import('../chunks/commands') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../chunks/commands') as typeof import('../chunks/commands');
}
