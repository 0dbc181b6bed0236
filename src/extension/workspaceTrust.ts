import * as vscode from 'vscode';

/**
 * Whether the extension may run git in the workspace's folders. A repository's own `.git/config` and hooks decide
 * what git executes (fsmonitor, gpg, hooks, filters), so in Restricted Mode the extension runs no git there at
 * all, as VS Code's own git extension does; the read overrides in git/gitRunner.ts are a second line.
 */
export function gitAllowed(): boolean {
  return vscode.workspace.isTrusted;
}

/** Why something that needs git is unavailable, for messages and views. */
export const UNTRUSTED_GIT_REASON = 'This workspace is in Restricted Mode: Incident Room runs no git in an untrusted workspace (a repository\'s own config can make git run programs).';

/** Show `message` with a Manage Workspace Trust button that opens the trust editor. */
export async function showTrustMessage(message: string, kind: 'info' | 'error' = 'info'): Promise<void> {
  const show = kind === 'error' ? vscode.window.showErrorMessage : vscode.window.showInformationMessage;
  const choice = await show(message, 'Manage Workspace Trust');
  if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
}
