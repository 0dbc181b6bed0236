import * as vscode from 'vscode';
import { SEVERITIES, type Severity } from '../protocol/vocabulary';
import { DEFAULT_SEVERITY_MAPPING, type SeverityMapping } from '../core/signals';

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const isSeverity = (v: unknown): v is Severity => typeof v === 'string' && (SEVERITIES as readonly string[]).includes(v);

/** A severity mapping setting that does not fit, with the key and what is wrong: shown once, the default used meanwhile. */
export class SeverityMapError extends Error {}

/**
 * `incidentRoom.signals.severityLabel` and `incidentRoom.signals.severityMap`, checked: a label name Prometheus
 * accepts, and a map of label values to SEV1–SEV4. Throws `SeverityMapError` naming the key when they do not fit.
 */
export function readSeverityMapping(config = vscode.workspace.getConfiguration('incidentRoom.signals')): SeverityMapping {
  const label = config.get<unknown>('severityLabel', DEFAULT_SEVERITY_MAPPING.label);
  if (typeof label !== 'string' || !LABEL_NAME.test(label)) {
    throw new SeverityMapError(`incidentRoom.signals.severityLabel must be a label name like "severity" (letters, digits, _), not ${JSON.stringify(label)}`);
  }
  const raw = config.get<unknown>('severityMap', DEFAULT_SEVERITY_MAPPING.map);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SeverityMapError('incidentRoom.signals.severityMap must be an object of label value → severity, e.g. { "critical": "SEV1" }');
  }
  const map: Record<string, Severity> = {};
  for (const [value, severity] of Object.entries(raw)) {
    if (!isSeverity(severity)) {
      throw new SeverityMapError(`incidentRoom.signals.severityMap: "${value}" maps to ${JSON.stringify(severity)}; expected one of ${SEVERITIES.join(', ')}`);
    }
    map[value] = severity;
  }
  return { label, map };
}

let warned: string | undefined;

/** The mapping in effect: the settings, or the default (after one clear message) while they do not fit. */
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
