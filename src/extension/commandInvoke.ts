import type * as vscode from 'vscode';
import { COMMANDS, parseCommandArgs, type CommandDecl, type CommandId } from '../protocol/commands';
import { showError, type CommandContext, type CommandHandler, type CommandNeeds, type ResolvedDeploy } from './commandRunner';
import { failureOf } from './failure';

/**
 * Run a command of the table: resolve what its entry needs, in order (trust, arguments, incident, deploy), call the
 * handler, and report whatever it throws (`reportFailure`). Loaded on the first command, with the
 * table's schemas: activation only registers the ids.
 */
export async function runCommand<Id extends CommandId, D extends ResolvedDeploy>(
  id: Id, title: string, handler: () => CommandHandler<Id, D>, needs: CommandNeeds<D>, raw: unknown,
): Promise<unknown> {
  const decl: CommandDecl = COMMANDS[id];
  try {
    if (decl.needs?.trust) needs.requireTrust(decl.needs.trust, decl.needs.trustReason);
    const args = parseCommandArgs(id, raw);
    const incident = decl.needs?.incident ? needs.requireIncident() : undefined;
    const h = handler();
    const deploy = decl.needs?.deploy
      ? await needs.resolveDeploy(raw, args, h.deployPrompt?.(incident) ?? `${title}: which deploy?`)
      : undefined;
    return await h.run({ id, title, args, raw, incident, deploy } as CommandContext<Id, D>);
  } catch (error) {
    reportFailure(needs.log, id, title, error);
    return undefined;
  }
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
