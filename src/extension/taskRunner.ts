import * as vscode from 'vscode';
import { runArgv, type ArgvResult } from '../git/argvProcess';
import type { CommandRunner } from '../git/rollbackExecutor';
import { formatArgv } from '../git/rollbackPlan';

/**
 * The one runner of configured commands (a rollback's `command` step, a prepared mitigation): the argv runs as a VS
 * Code task, so its output is in the terminal panel, and it resolves with the exit code and the end of the output
 * (for the timeline). The task's pseudoterminal runs the argv with {@link runArgv}, which spawns the program with no
 * shell: no shell ever parses repo or user data. Closing the terminal or cancelling the progress stops it.
 */
export function taskRunner(purpose: 'rollback' | 'mitigation'): CommandRunner {
  return async (argv, { cwd, signal }) => {
    if (!argv[0]) return { exitCode: null, cancelled: false, spawnError: 'empty command' };
    const controller = new AbortController();
    const abort = () => controller.abort();
    signal?.addEventListener('abort', abort, { once: true });
    const write = new vscode.EventEmitter<string>();
    const close = new vscode.EventEmitter<number>();
    let finished: Promise<ArgvResult> | undefined;
    let opened = () => {};
    const didOpen = new Promise<void>((resolve) => (opened = resolve));
    const pty: vscode.Pseudoterminal = {
      onDidWrite: write.event,
      onDidClose: close.event,
      open: () => {
        write.fire(`\x1b[2m$ ${formatArgv(argv)}\x1b[0m\r\n`);
        finished = runArgv(argv, { cwd, signal: controller.signal, onOutput: (chunk) => write.fire(chunk.replace(/\r?\n/g, '\r\n')) });
        void finished.then((r) => {
          const how = r.spawnError ?? (r.cancelled ? 'cancelled' : `exit code ${r.exitCode ?? `none (${r.signal ?? 'killed'})`}`);
          write.fire(`\r\n\x1b[2m${how}\x1b[0m\r\n`);
          close.fire(r.exitCode ?? 1);
        });
        opened();
      },
      // The user closed the terminal: stop the command (the result says cancelled).
      close: abort,
    };
    const task = new vscode.Task(
      { type: 'incidentRoom', command: purpose }, vscode.TaskScope.Workspace, `${purpose}: ${formatArgv(argv).slice(0, 80)}`, 'Incident Room',
      new vscode.CustomExecution(() => Promise.resolve(pty)),
    );
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true, showReuseMessage: false };
    try {
      const execution = await vscode.tasks.executeTask(task);
      // A task the workbench never started (it ended before the terminal opened) ran nothing.
      const ended = new Promise<void>((resolve) => {
        const sub = vscode.tasks.onDidEndTask((e) => {
          if (e.execution === execution) {
            sub.dispose();
            resolve();
          }
        });
      });
      await Promise.race([didOpen, ended]);
      if (!finished) return { exitCode: null, cancelled: controller.signal.aborted, spawnError: 'the task did not start' };
      const r = await finished;
      return { ...r, cancelled: r.cancelled || controller.signal.aborted };
    } catch (e) {
      return { exitCode: null, cancelled: false, spawnError: `could not start the task: ${e instanceof Error ? e.message : String(e)}` };
    } finally {
      signal?.removeEventListener('abort', abort);
      // Let the terminal show the last line before its emitters go.
      setTimeout(() => {
        write.dispose();
        close.dispose();
      }, 1000);
    }
  };
}
