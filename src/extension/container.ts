import * as vscode from 'vscode';
import { registerCommand } from './commandRunner';

/** The one place that creates every service of the extension and owns their disposal. */
export class Container implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(readonly context: vscode.ExtensionContext) {
    this.log = this.own(vscode.window.createOutputChannel('Incident Room', { log: true }));
    this.own(registerCommand(this.log, 'incidentRoom.showLog', () => this.log.show()));
  }

  private own<T extends vscode.Disposable>(d: T): T {
    this.disposables.push(d);
    return d;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch (e) {
        console.error('Incident Room: dispose failed', e);
      }
    }
  }
}
