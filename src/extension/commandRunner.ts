import * as vscode from 'vscode';
import { Cancelled } from './quickInput';

/** A button on an error message that runs a command (e.g. Manage Workspace Trust). */
export interface ErrorAction {
  readonly title: string;
  readonly command: string;
}

/** An error whose message is already fit to show a user, optionally with the action that fixes it. */
export class UserFacingError extends Error {
  constructor(message: string, readonly detail?: string, readonly action?: ErrorAction) {
    super(message);
    this.name = 'UserFacingError';
  }
}

/**
 * Every command goes through here: failures are logged with their detail and shown as one clear message
 * with a "Show Log" button, so no command fails silently or shows a raw stack. `title` is the command's palette
 * title ("Set Status"), used in the log.
 */
export function registerCommand(
  log: vscode.LogOutputChannel,
  id: string,
  fn: (...args: unknown[]) => unknown,
  title: string = id,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await fn(...args);
    } catch (error) {
      // Escape in a prompt is not an error: the command ends, nothing recorded, and one line says where it ended
      // (a prompt closed by another one opening over it looks the same to the user as a dropped action).
      if (error instanceof Cancelled) {
        log.info(`${title}: ${error.message}`);
        return undefined;
      }
      const message = errorMessage(error);
      log.error(`${id} failed: ${message}`, error instanceof Error && error.stack ? error.stack : '');
      // Not awaited: the command finishes now, the message stays until the user dismisses it.
      const action = error instanceof UserFacingError ? error.action : undefined;
      void vscode.window.showErrorMessage(`Incident Room: ${message}`, ...(action ? [action.title] : []), 'Show Log').then((choice) => {
        if (choice === 'Show Log') log.show();
        else if (action && choice === action.title) void vscode.commands.executeCommand(action.command);
      });
      return undefined;
    }
  });
}

/** One line for a user from any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
