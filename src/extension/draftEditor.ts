import * as vscode from 'vscode';
import { Cancelled } from './quickInput';

/**
 * Let the user edit a multi-line draft in a real editor beside the view, then send it with `action` on a
 * notification (an input box is one line: too small for a brief). Text longer than `maxChars` is given back in the
 * editor with how much too long it is, so an edit is never lost. Throws Cancelled on Cancel or when the
 * notification is dismissed, and when the text is left empty.
 */
export async function editDraft(draft: string, o: { readonly what: string; readonly action: string; readonly maxChars: number }): Promise<string> {
  let content = draft;
  let problem = '';
  for (;;) {
    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content });
    await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.Beside });
    const message = `${problem}Edit the ${o.what} in the editor, then press ${o.action}.`;
    const choice = await vscode.window.showInformationMessage(message, { modal: false }, o.action, 'Cancel');
    const text = doc.getText().trim();
    // Close the draft without a save prompt: it was only a scratch pad.
    if (vscode.window.activeTextEditor?.document === doc) await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    if (choice !== o.action) throw new Cancelled(message);
    if (!text) throw new Cancelled(`the ${o.what} was left empty`);
    if (text.length <= o.maxChars) return text;
    content = text;
    problem = `The ${o.what} is ${text.length} characters; at most ${o.maxChars} fit. `;
  }
}
