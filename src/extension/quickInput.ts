import * as vscode from 'vscode';
import { Cancelled } from './errors';

export { Cancelled } from './errors';

/** The words a user saw on a prompt, for the log line of a cancelled command. */
function promptName(o: { title?: string; prompt?: string; placeHolder?: string }): string {
  return (o.prompt || o.placeHolder || o.title || 'a prompt').slice(0, 120);
}

/** An input box that throws Cancelled on Escape. */
export async function ask(options: vscode.InputBoxOptions & { required?: boolean }): Promise<string> {
  const { required = true, validateInput, ...rest } = options;
  const value = await vscode.window.showInputBox({
    ignoreFocusOut: true,
    ...rest,
    // Only when there is something to check: a validator makes every Enter wait for a round trip to this host
    // before the workbench accepts the value.
    ...(required || validateInput
      ? { validateInput: (v: string) => (required && v.trim() === '' ? 'Required' : validateInput?.(v) ?? undefined) }
      : {}),
  });
  if (value === undefined) throw new Cancelled(promptName(options));
  return value.trim();
}

/** A quick pick of values that throws Cancelled on Escape. */
export async function pick<T>(items: readonly (vscode.QuickPickItem & { value: T })[], options: vscode.QuickPickOptions): Promise<T> {
  const chosen = await vscode.window.showQuickPick(items, { ignoreFocusOut: true, ...options });
  if (!chosen) throw new Cancelled(promptName(options));
  return chosen.value;
}

/** A modal warning with one action; throws Cancelled unless that action is chosen. */
export async function confirm(message: string, action: string, detail?: string): Promise<void> {
  const choice = await vscode.window.showWarningMessage(message, { modal: true, ...(detail ? { detail } : {}) }, action);
  if (choice !== action) throw new Cancelled(message.slice(0, 120));
}
