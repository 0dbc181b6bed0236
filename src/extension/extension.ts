import type * as vscode from 'vscode';
import { Container } from './container';

/** Build every service once (see container.ts) and hand them to VS Code to dispose. */
export function activate(context: vscode.ExtensionContext): Container {
  const started = performance.now();
  const container = new Container(context);
  context.subscriptions.push(container);
  container.log.info(`activated in ${(performance.now() - started).toFixed(1)} ms`);
  return container;
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
