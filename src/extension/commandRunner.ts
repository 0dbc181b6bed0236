import * as vscode from 'vscode';
import type { IncidentState } from '../core/incidentState';
import { COMMANDS, parseCommandArgs, type ArgsOf, type CommandDecl, type CommandId } from '../protocol/commands';
import { failureOf, type ErrorAction } from './failure';

export { errorMessage, UserFacingError, type ErrorAction } from './failure';

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
  /** Throws unless git and configured commands may run (Workspace Trust); `what` names what is refused. */
  requireTrust(what: string): void;
  requireIncident(): IncidentState;
  resolveDeploy(raw: unknown, args: unknown, title: string): Promise<D>;
}

/**
 * Register one command of the table: resolve its needs in the table's order (trust, arguments, incident, deploy),
 * run its handler, and turn whatever it throws into one clear message with the actions that fix it (see
 * `failureOf`). A dismissed prompt is not an error: one info line in the log says where the command ended.
 */
export function createCommand<Id extends CommandId, D extends ResolvedDeploy>(
  id: Id, title: string, handler: CommandHandler<Id, D>, needs: CommandNeeds<D>,
): vscode.Disposable {
  const decl: CommandDecl = COMMANDS[id];
  return vscode.commands.registerCommand(id, async (raw?: unknown) => {
    try {
      if (decl.needs?.trust) needs.requireTrust(decl.needs.trust);
      const args = parseCommandArgs(id, raw);
      const incident = decl.needs?.incident ? needs.requireIncident() : undefined;
      const deploy = decl.needs?.deploy
        ? await needs.resolveDeploy(raw, args, handler.deployPrompt?.(incident) ?? `${title}: which deploy?`)
        : undefined;
      return await handler.run({ id, title, args, raw, incident, deploy } as CommandContext<Id, D>);
    } catch (error) {
      reportFailure(needs.log, id, title, error);
      return undefined;
    }
  });
}

/** Log a command's failure with its detail and show it (not awaited: the message stays until dismissed). */
export function reportFailure(log: vscode.LogOutputChannel, id: string, title: string, error: unknown): void {
  const failure = failureOf(error);
  if (failure.cancelled) {
    log.info(`${title}: ${failure.message}`);
    return;
  }
  log.error(`${id} failed: ${failure.message}${failure.detail ? `\n${failure.detail}` : ''}`, error instanceof Error && error.stack ? error.stack : '');
  void showError(log, `Incident Room: ${failure.message}`, failure.actions);
}

/** An error message with its actions and a Show Log button that shows the Incident Room log. */
export async function showError(log: vscode.LogOutputChannel, message: string, actions: readonly ErrorAction[] = []): Promise<void> {
  const choice = await vscode.window.showErrorMessage(message, ...actions.map((a) => a.title), 'Show Log');
  if (choice === 'Show Log') log.show();
  const action = actions.find((a) => a.title === choice);
  if (action) await vscode.commands.executeCommand(action.command, ...(action.args ?? []));
}
