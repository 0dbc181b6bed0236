import * as vscode from 'vscode';
import type { IncidentState } from '../core/incidentState';
import { CaptureSessions, type CaptureSession } from '../core/terminalCapture';
import type { CommandId } from '../protocol/commands';
import { UserFacingError, type CommandHandlers } from './commandRunner';
import type { IncidentService } from './incidentService';
import { pick } from './quickInput';
import { onDidChangeSettings, terminalRedactPatterns } from './settings';

/** How long Capture waits for a terminal's shell integration to start (a new terminal reports it after its first prompt). */
const INTEGRATION_WAIT_MS = 4000;
const ANY_CAPTURE = 'incidentRoom.terminalCaptureActive';
const ACTIVE_CAPTURED = 'incidentRoom.activeTerminalCaptured';

/**
 * Terminal capture (issue #16, opt-in): while on, each command run in a captured terminal becomes a `terminal.command`
 * event on the incident focused when capture began — its command line with secrets redacted (core/redact.ts), exit
 * code, duration and folder, never its output — through the service's append (the outbox: nothing is lost offline).
 * VS Code's shell integration reports the commands; a terminal without it is refused with how to turn it on, never
 * captured silently empty. A status bar item and a button in the terminal view's title show a capture; both stop it.
 * Capture ends when the terminal closes, the incident is unfocused or resolved, the user's redaction patterns stop
 * compiling, or the window closes. It listens to the terminals only while something is captured.
 */
export class TerminalCapture implements vscode.Disposable {
  private readonly sessions = new CaptureSessions<vscode.Terminal, vscode.TerminalShellExecution>();
  private item: vscode.StatusBarItem | undefined;
  /** Subscriptions held while any terminal is captured. */
  private listening: vscode.Disposable[] = [];
  private patterns: readonly RegExp[] = [];
  /** Appends in the order the commands ended. */
  private appends: Promise<unknown> = Promise.resolve();

  constructor(private readonly service: IncidentService, private readonly log: vscode.LogOutputChannel) {}

  /** The captures, for the stop command's picker and tests. */
  get captures(): readonly [vscode.Terminal, CaptureSession][] {
    return this.sessions.list();
  }

  isCaptured(terminal: vscode.Terminal): boolean {
    return this.sessions.has(terminal);
  }

  /**
   * Capture `terminal` to `incident`. Throws (nothing captured) when the redaction patterns do not compile or the
   * terminal has no shell integration after a short wait.
   */
  async capture(terminal: vscode.Terminal, incident: IncidentState): Promise<void> {
    // Refuse before anything is captured: running without a pattern the user asked for would leak what it hides.
    this.patterns = terminalRedactPatterns();
    if (this.sessions.has(terminal)) {
      void vscode.window.showInformationMessage(`Incident Room: "${terminal.name}" is already captured to ${this.sessions.get(terminal)!.incidentId}.`);
      return;
    }
    if (!(await waitForShellIntegration(terminal, INTEGRATION_WAIT_MS))) {
      throw new UserFacingError(
        `"${terminal.name}" has no shell integration, so VS Code cannot tell which commands run in it or how they end, and nothing would be captured. ` +
        'Shell integration works in bash, zsh, fish and PowerShell when the setting terminal.integrated.shellIntegration.enabled is on (it is by default); ' +
        'open a new terminal with one of those shells and run Capture This Terminal again. Nothing is being captured.',
        undefined,
        { title: 'Open Setting', command: 'workbench.action.openSettings', args: ['terminal.integrated.shellIntegration.enabled'] },
      );
    }
    // The incident may have changed while we waited.
    const focused = this.service.focusedIncident;
    if (!focused || focused.id !== incident.id || focused.status === 'resolved') throw new UserFacingError(`${incident.id} is no longer the focused open incident; nothing is being captured`);
    this.sessions.start(terminal, incident.id, terminal.name, Date.now());
    this.listen();
    this.log.info(`terminal capture: "${terminal.name}" → ${incident.id}`);
    this.render();
    void vscode.window.showInformationMessage(
      `Incident Room: capturing the commands run in "${terminal.name}" to ${incident.id}: command line (secrets redacted), exit code, duration and folder — never their output. Stop from the status bar.`,
    );
  }

  /** Stop capturing `terminal`, saying why when it was not the user (`reason`). */
  stop(terminal: vscode.Terminal, reason?: string): void {
    const s = this.sessions.stop(terminal);
    if (s) this.stopped([[terminal, s]], reason);
  }

  stopAll(reason?: string): void {
    this.stopped(this.sessions.stopWhere(() => true), reason);
  }

  private stopped(list: readonly [vscode.Terminal, CaptureSession][], reason: string | undefined): void {
    if (list.length === 0) return;
    for (const [, s] of list) this.log.info(`terminal capture: "${s.terminalName}" stopped (${s.captured} commands)${reason ? `: ${reason}` : ''}`);
    const names = list.map(([, s]) => `"${s.terminalName}"`).join(', ');
    const count = list.reduce((n, [, s]) => n + s.captured, 0);
    const text = `Incident Room: stopped capturing ${names} (${count} command${count === 1 ? '' : 's'} captured)`;
    if (reason) void vscode.window.showInformationMessage(`${text}: ${reason}.`);
    else void vscode.window.setStatusBarMessage(text, 5000);
    if (this.sessions.size === 0) this.unlisten();
    this.render();
  }

  private listen(): void {
    if (this.listening.length > 0) return;
    this.listening.push(
      vscode.window.onDidStartTerminalShellExecution((e) => this.sessions.commandStarted(e.terminal, e.execution, Date.now())),
      vscode.window.onDidEndTerminalShellExecution((e) => this.commandEnded(e)),
      vscode.window.onDidCloseTerminal((t) => this.stop(t, 'the terminal was closed')),
      vscode.window.onDidChangeActiveTerminal(() => this.renderContext()),
      this.service.onDidChange(() => this.followIncident()),
      onDidChangeSettings((e) => {
        if (!e.affectsConfiguration('incidentRoom.terminal.redact')) return;
        try {
          this.patterns = terminalRedactPatterns();
        } catch (error) {
          this.stopAll(`${(error as Error).message} — capture stops rather than record without the pattern`);
        }
      }),
    );
  }

  private unlisten(): void {
    for (const d of this.listening.splice(0)) d.dispose();
  }

  private commandEnded(e: vscode.TerminalShellExecutionEndEvent): void {
    const cwd = e.execution.cwd;
    const out = this.sessions.commandEnded(e.terminal, e.execution, {
      commandLine: e.execution.commandLine.value,
      exitCode: e.exitCode,
      cwd: cwd ? (cwd.scheme === 'file' ? cwd.fsPath : cwd.path) : undefined,
      terminal: e.terminal.name,
      endedAt: Date.now(),
    }, this.patterns);
    if (!out) return;
    this.render();
    this.appends = this.appends.then(() => this.service.append('terminal.command', out.data, out.incidentId)).catch((error: unknown) => {
      this.log.error(`terminal capture: could not record a command of "${e.terminal.name}": ${String(error)}`);
      void vscode.window.showErrorMessage(`Incident Room: a command of "${e.terminal.name}" could not be recorded on ${out.incidentId}: ${(error as Error).message}`, 'Show Log')
        .then((c) => c && this.log.show());
    });
  }

  /** Capture follows the incident: it stops when another incident is focused or this one is resolved. */
  private followIncident(): void {
    const focusedId = this.service.focusedId;
    const state = this.service.focusedIncident;
    const elsewhere = this.sessions.stopWhere((s) => s.incidentId !== focusedId);
    if (elsewhere.length) this.stopped(elsewhere, `${elsewhere[0]![1].incidentId} is no longer the focused incident`);
    if (state?.status === 'resolved') {
      const resolved = this.sessions.stopWhere((s) => s.incidentId === state.id);
      if (resolved.length) this.stopped(resolved, `${state.id} was resolved`);
    }
  }

  private render(): void {
    this.renderContext();
    const list = this.sessions.list();
    if (list.length === 0) {
      this.item?.hide();
      return;
    }
    this.item ??= createItem();
    const [first] = list;
    this.item.text = list.length === 1 ? `$(record) Capturing terminal ${first![1].terminalName}` : `$(record) Capturing ${list.length} terminals`;
    const tip = new vscode.MarkdownString(undefined, true);
    tip.isTrusted = false;
    for (const [, s] of list) {
      tip.appendText(`Capturing "${s.terminalName}" to ${s.incidentId}: ${s.captured} command${s.captured === 1 ? '' : 's'} so far.`);
      tip.appendMarkdown('\n\n');
    }
    tip.appendText('Command lines (secrets redacted), exit codes, durations and folders; never output. Click to stop.');
    this.item.tooltip = tip;
    this.item.show();
  }

  private renderContext(): void {
    const active = vscode.window.activeTerminal;
    void vscode.commands.executeCommand('setContext', ANY_CAPTURE, this.sessions.size > 0);
    void vscode.commands.executeCommand('setContext', ACTIVE_CAPTURED, active !== undefined && this.sessions.has(active));
  }

  dispose(): void {
    this.unlisten();
    this.item?.dispose();
  }
}

function createItem(): vscode.StatusBarItem {
  const item = vscode.window.createStatusBarItem('incidentRoom.terminalCapture', vscode.StatusBarAlignment.Left, 99);
  item.name = 'Incident Room Terminal Capture';
  item.command = 'incidentRoom.stopTerminalCapture';
  item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
  return item;
}

/** Whether `terminal` has shell integration, waiting up to `ms` for it to start (false when it closes first). */
function waitForShellIntegration(terminal: vscode.Terminal, ms: number): Promise<boolean> {
  if (terminal.shellIntegration) return Promise.resolve(true);
  return new Promise((resolve) => {
    const subs: vscode.Disposable[] = [];
    const done = (ok: boolean) => {
      clearTimeout(timer);
      for (const d of subs) d.dispose();
      resolve(ok);
    };
    const timer = setTimeout(() => done(terminal.shellIntegration !== undefined), ms);
    subs.push(
      vscode.window.onDidChangeTerminalShellIntegration((e) => e.terminal === terminal && done(true)),
      vscode.window.onDidCloseTerminal((t) => t === terminal && done(false)),
    );
  });
}

/**
 * Incident: Capture This Terminal to the Timeline (the active terminal) and Incident: Stop Capturing Terminal (the
 * active terminal when it is captured, else the only capture, else a pick; `{ all: true }` stops every one).
 */
export function terminalCaptureCommands(capture: TerminalCapture): CommandHandlers<Extract<CommandId, 'incidentRoom.captureTerminal' | 'incidentRoom.stopTerminalCapture'>> {
  return {
    'incidentRoom.captureTerminal': { run: async ({ incident }) => {
      const terminal = vscode.window.activeTerminal;
      if (!terminal) throw new UserFacingError('open a terminal (Terminal: Create New Terminal) and run Capture This Terminal from it; nothing is being captured');
      await capture.capture(terminal, incident);
    } },
    'incidentRoom.stopTerminalCapture': { run: async ({ args }) => {
      const list = capture.captures;
      if (list.length === 0) {
        void vscode.window.showInformationMessage('Incident Room: no terminal is being captured.');
        return;
      }
      if (args?.all) return capture.stopAll();
      const active = vscode.window.activeTerminal;
      if (active && capture.isCaptured(active)) return capture.stop(active);
      if (list.length === 1) return capture.stop(list[0]![0]);
      const terminal = await pick<vscode.Terminal | undefined>(
        [{ label: 'All terminals', value: undefined }, ...list.map(([t, s]) => ({ label: s.terminalName, description: `to ${s.incidentId} · ${s.captured} captured`, value: t }))],
        { title: 'Stop Capturing Terminal', placeHolder: 'Which capture to stop?' },
      );
      if (terminal) capture.stop(terminal);
      else capture.stopAll();
    } },
  };
}
