import * as vscode from 'vscode';
import { DEFAULT_SEVERITY_MAPPING, type SeverityMapping } from '../core/signals';
import { readSeverityMapping } from './settings';

let warned: string | undefined;

/**
 * The severity mapping in effect: incidentRoom.signals.* (settings.ts checks them), or, while they do not fit, the
 * default, after one clear message naming the setting (not one per alert).
 */
export function severityMapping(): SeverityMapping {
  try {
    const m = readSeverityMapping();
    warned = undefined;
    return m;
  } catch (error) {
    const message = (error as Error).message;
    if (warned !== message) {
      warned = message;
      void vscode.window.showErrorMessage(`Incident Room: ${message}. Using the default mapping until it is fixed.`, 'Open Settings').then((c) => {
        if (c) void vscode.commands.executeCommand('workbench.action.openSettings', 'incidentRoom.signals');
      });
    }
    return DEFAULT_SEVERITY_MAPPING;
  }
}
