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

/**
 * A quick pick that opens with `active` highlighted, so Enter keeps it (re-triage: the last answer stays a keypress
 * away). `picked` does not do this: a single pick ignores it and highlights the first item. Throws Cancelled on Escape.
 */
export async function pickActive<T>(items: readonly (vscode.QuickPickItem & { value: T })[], active: T | undefined, options: vscode.QuickPickOptions): Promise<T> {
  type Item = vscode.QuickPickItem & { value: T };
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = options.title;
  qp.placeholder = options.placeHolder;
  qp.ignoreFocusOut = true;
  qp.matchOnDescription = !!options.matchOnDescription;
  qp.matchOnDetail = !!options.matchOnDetail;
  qp.items = items;
  const current = items.find((i) => i.value === active);
  if (current) qp.activeItems = [current];
  try {
    return await new Promise<T>((resolve, reject) => {
      qp.onDidAccept(() => {
        const chosen = qp.selectedItems[0] ?? qp.activeItems[0];
        if (chosen) resolve(chosen.value);
      });
      qp.onDidHide(() => reject(new Cancelled(promptName(options))));
      qp.show();
    });
  } finally {
    qp.dispose();
  }
}

/** A modal warning with one action; throws Cancelled unless that action is chosen. */
export async function confirm(message: string, action: string, detail?: string): Promise<void> {
  const choice = await vscode.window.showWarningMessage(message, { modal: true, ...(detail ? { detail } : {}) }, action);
  if (choice !== action) throw new Cancelled(message.slice(0, 120));
}
