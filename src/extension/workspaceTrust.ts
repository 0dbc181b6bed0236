import * as vscode from 'vscode';
import { UserFacingError, type ErrorAction } from './commandRunner';

/**
 * Whether the extension may run git in the workspace's folders. A repository's own `.git/config` and hooks decide
 * what git executes (fsmonitor, gpg, hooks, filters), so in Restricted Mode the extension runs no git there at
 * all, as VS Code's own git extension does; the read overrides in git/gitRunner.ts are a second line.
 */
export function gitAllowed(): boolean {
  return vscode.workspace.isTrusted;
}

const MANAGE_TRUST: ErrorAction = { title: 'Manage Workspace Trust', command: 'workbench.trust.manage' };

/** Throws a message saying why `what` is unavailable, with a Manage Workspace Trust button, unless git may run. */
export function requireGit(what: string): void {
  if (!gitAllowed()) throw new UserFacingError(`${what} needs git, which Incident Room runs only in a trusted workspace (a repository's own config can make git run programs). Nothing was run.`, undefined, MANAGE_TRUST);
}

/**
 * Throws unless the workspace is trusted, with a Manage Workspace Trust button: `why` says why `what` needs trust
 * (an escalation pages people); without it, the reason is git (`requireGit`).
 */
export function requireTrust(what: string, why?: string): void {
  if (!why) return requireGit(what);
  if (!gitAllowed()) throw new UserFacingError(`${what} is unavailable in Restricted Mode: ${why}, which Incident Room does only in a trusted workspace. Nothing was done.`, undefined, MANAGE_TRUST);
}

/** Show `message` with a Manage Workspace Trust button that opens the trust editor. */
export async function showTrustMessage(message: string, kind: 'info' | 'error' = 'info'): Promise<void> {
  const show = kind === 'error' ? vscode.window.showErrorMessage : vscode.window.showInformationMessage;
  const choice = await show(message, MANAGE_TRUST.title);
  if (choice) await vscode.commands.executeCommand(MANAGE_TRUST.command);
}
