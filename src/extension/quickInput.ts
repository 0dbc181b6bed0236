import * as vscode from 'vscode';

/** Thrown when the user dismisses a prompt: the command ends quietly, nothing is recorded. */
export class Cancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'Cancelled';
  }
}

/** An input box that throws Cancelled on Escape. */
export async function ask(options: vscode.InputBoxOptions & { required?: boolean }): Promise<string> {
  const required = options.required ?? true;
  const value = await vscode.window.showInputBox({
    ignoreFocusOut: true,
    ...options,
    validateInput: (v) => (required && v.trim() === '' ? 'Required' : options.validateInput?.(v) ?? undefined),
  });
  if (value === undefined) throw new Cancelled();
  return value.trim();
}

/** A quick pick of values that throws Cancelled on Escape. */
export async function pick<T>(items: readonly (vscode.QuickPickItem & { value: T })[], options: vscode.QuickPickOptions): Promise<T> {
  const chosen = await vscode.window.showQuickPick(items, { ignoreFocusOut: true, ...options });
  if (!chosen) throw new Cancelled();
  return chosen.value;
}
