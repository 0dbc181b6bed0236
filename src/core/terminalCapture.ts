import { Limits } from '../protocol/codes';
import type { EventDataOf } from '../protocol/events';
import { redactCommandLine, truncateText } from './redact';

/** A command the shell reported finished, as VS Code's shell integration tells it. */
export interface FinishedCommand {
  readonly commandLine: string;
  /** undefined: the shell did not report one (interrupted, or an integration that does not send it). */
  readonly exitCode: number | undefined;
  readonly cwd?: string;
  readonly terminal?: string;
  /** Epoch ms. */
  readonly startedAt?: number;
  readonly endedAt: number;
}

/**
 * Escape sequences (CSI colours, OSC titles) and control characters a shell's prompt or a low-confidence read of the
 * terminal may leave in a command line; tabs and newlines stay.
 */
const CONTROL = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * The `terminal.command` data of a finished command: command line and folder redacted (`patterns`: the user's), cut
 * to the protocol's limits after redaction, the duration when its start was seen; undefined for an empty line
 * (Enter on an empty prompt), which is not a command.
 */
export function terminalCommandData(c: FinishedCommand, patterns: readonly RegExp[]): EventDataOf<'terminal.command'> | undefined {
  const line = c.commandLine.replace(CONTROL, '').trim();
  if (!line) return undefined;
  const data: EventDataOf<'terminal.command'> = {
    commandLine: truncateText(redactCommandLine(line, patterns), Limits.shortTextLength),
    exitCode: c.exitCode === undefined || !Number.isInteger(c.exitCode) ? null : c.exitCode,
  };
  if (c.startedAt !== undefined) data.durationMs = Math.min(1e10, Math.max(0, Math.round(c.endedAt - c.startedAt)));
  const cwd = c.cwd?.replace(CONTROL, '');
  if (cwd) data.cwd = truncateText(redactCommandLine(cwd, patterns), 1024);
  const terminal = c.terminal?.replace(CONTROL, '').trim();
  if (terminal) data.terminal = truncateText(terminal, Limits.nameLength);
  return data;
}

/** One terminal being captured. */
export interface CaptureSession {
  /** The incident its commands go to: the one focused when capture began. */
  readonly incidentId: string;
  /** The terminal's name when capture began (for the status bar and messages). */
  readonly terminalName: string;
  readonly since: number;
  /** Commands recorded so far. */
  captured: number;
}

/**
 * Which terminals are captured and which of their commands to record: pure, so the rules are tested without VS Code
 * (`T`: a terminal, `X`: one execution in it). A command is recorded only when capture was on both when it started
 * and when it ended: one already running when capture began, or still running when it stopped, is not.
 */
export class CaptureSessions<T, X> {
  private readonly sessions = new Map<T, CaptureSession & { readonly running: Map<X, number> }>();

  get size(): number {
    return this.sessions.size;
  }

  has(terminal: T): boolean {
    return this.sessions.has(terminal);
  }

  get(terminal: T): CaptureSession | undefined {
    return this.sessions.get(terminal);
  }

  /** Every capture, oldest first. */
  list(): [T, CaptureSession][] {
    return [...this.sessions];
  }

  /** Begin capturing `terminal` to `incidentId`; false when it already is. */
  start(terminal: T, incidentId: string, terminalName: string, now: number): boolean {
    if (this.sessions.has(terminal)) return false;
    this.sessions.set(terminal, { incidentId, terminalName, since: now, captured: 0, running: new Map() });
    return true;
  }

  /** Stop capturing `terminal`; its session, or undefined when it was not captured. */
  stop(terminal: T): CaptureSession | undefined {
    const s = this.sessions.get(terminal);
    this.sessions.delete(terminal);
    return s;
  }

  /** Stop every capture `predicate` picks (an incident no longer focused, or resolved); what was stopped. */
  stopWhere(predicate: (s: CaptureSession) => boolean): [T, CaptureSession][] {
    const stopped = [...this.sessions].filter(([, s]) => predicate(s));
    for (const [t] of stopped) this.sessions.delete(t);
    return stopped;
  }

  /** A command started in `terminal`: remembered (with its start time) only when the terminal is captured. */
  commandStarted(terminal: T, execution: X, now: number): void {
    this.sessions.get(terminal)?.running.set(execution, now);
  }

  /**
   * A command ended in `terminal`: the event to append and where, or undefined when it is not to be recorded (the
   * terminal is not captured, the command started before capture began, or the line was empty).
   */
  commandEnded(terminal: T, execution: X, c: Omit<FinishedCommand, 'startedAt'>, patterns: readonly RegExp[]): { incidentId: string; data: EventDataOf<'terminal.command'> } | undefined {
    const s = this.sessions.get(terminal);
    const startedAt = s?.running.get(execution);
    if (!s || startedAt === undefined) return undefined;
    s.running.delete(execution);
    const data = terminalCommandData({ ...c, startedAt }, patterns);
    if (!data) return undefined;
    s.captured++;
    return { incidentId: s.incidentId, data };
  }
}
