import assert from 'node:assert/strict';
import { EventData } from '../../../src/protocol/events';
import { describeEvent } from '../../../src/core/timelineText';
import { compileRedactPatterns } from '../../../src/core/redact';
import { CaptureSessions, terminalCommandData } from '../../../src/core/terminalCapture';
import { sequenced } from './eventBuilder';

describe('core/terminalCapture', () => {
  describe('terminalCommandData: a finished command as a terminal.command event', () => {
    it('redacts, keeps exit code, duration, folder and terminal, and fits the wire schema', () => {
      const data = terminalCommandData({ commandLine: 'echo --token abc123', exitCode: 0, cwd: '/srv/app', terminal: 'bash', startedAt: 1000, endedAt: 2234.4 }, []);
      assert.deepEqual(data, { commandLine: 'echo --token [redacted]', exitCode: 0, durationMs: 1234, cwd: '/srv/app', terminal: 'bash' });
      assert.ok(EventData['terminal.command'].safeParse(data).success);
    });

    it('an exit code the shell did not report is null; no start seen, no duration; no folder, none', () => {
      assert.deepEqual(terminalCommandData({ commandLine: 'sleep 100', exitCode: undefined, endedAt: 5 }, []), { commandLine: 'sleep 100', exitCode: null });
    });

    it('an empty line (Enter on an empty prompt) is no command', () => {
      assert.equal(terminalCommandData({ commandLine: '  \u001b[0m ', exitCode: 0, endedAt: 1 }, []), undefined);
    });

    it('a line longer than the protocol allows is cut after redaction, so a secret is never half kept', () => {
      const line = `curl -H "Authorization: Bearer ${'t'.repeat(1990)}" https://x ${'a'.repeat(3000)}`;
      const data = terminalCommandData({ commandLine: line, exitCode: 0, endedAt: 1 }, [])!;
      assert.equal(data.commandLine.length, 2000);
      assert.match(data.commandLine, /^curl -H "Authorization: Bearer \[redacted\]" https:\/\/x a+…$/);
      assert.ok(EventData['terminal.command'].safeParse(data).success);
    });

    it('applies the user\'s patterns to the folder as well, and strips control characters', () => {
      const { patterns } = compileRedactPatterns(['acme-\\d+']);
      const data = terminalCommandData({ commandLine: 'ls\u0007 acme-42', exitCode: 2, cwd: '/home/acme-42/x', terminal: 'zsh', endedAt: 1 }, patterns);
      assert.deepEqual(data, { commandLine: 'ls [redacted]', exitCode: 2, cwd: '/home/[redacted]/x', terminal: 'zsh' });
    });

    it('reads on the timeline with its exit code, how long it took when that says something, and the folder by its last name', () => {
      const data = terminalCommandData({ commandLine: 'false', exitCode: 1, cwd: '/srv', startedAt: 0, endedAt: 20 }, [])!;
      const text = describeEvent(sequenced('terminal.command', data, { seq: 3, at: '2026-03-01T10:00:00Z' }));
      assert.equal(text, 'Ran `false` — exit 1 in /srv');
      const slow = terminalCommandData({ commandLine: 'make deploy', exitCode: 0, cwd: '/home/dana/src/payments-api', startedAt: 0, endedAt: 12_400 }, [])!;
      assert.equal(describeEvent(sequenced('terminal.command', slow, { seq: 4, at: '2026-03-01T10:00:00Z' })), 'Ran `make deploy` — exit 0 after 12 s in …/payments-api');
    });
  });

  describe('CaptureSessions: which commands are recorded', () => {
    const T1 = { name: 'bash' };
    const T2 = { name: 'zsh' };

    it('records a command that started and ended while its terminal was captured, to the incident focused at start', () => {
      const s = new CaptureSessions<object, object>();
      assert.equal(s.start(T1, 'INC-7', 'bash', 0), true);
      assert.equal(s.start(T1, 'INC-7', 'bash', 0), false, 'already captured');
      const x = {};
      s.commandStarted(T1, x, 100);
      const out = s.commandEnded(T1, x, { commandLine: 'echo ok', exitCode: 0, terminal: 'bash', endedAt: 350 }, []);
      assert.deepEqual(out, { incidentId: 'INC-7', data: { commandLine: 'echo ok', exitCode: 0, durationMs: 250, terminal: 'bash' } });
      assert.equal(s.get(T1)?.captured, 1);
      assert.equal(s.commandEnded(T1, x, { commandLine: 'echo ok', exitCode: 0, endedAt: 400 }, []), undefined, 'an end told twice is recorded once');
    });

    it('records nothing from a terminal that is not captured', () => {
      const s = new CaptureSessions<object, object>();
      s.start(T1, 'INC-7', 'bash', 0);
      const x = {};
      s.commandStarted(T2, x, 1);
      assert.equal(s.commandEnded(T2, x, { commandLine: 'echo secret-ish', exitCode: 0, endedAt: 2 }, []), undefined);
    });

    it('a command already running when capture began, or still running when it stopped, is not recorded', () => {
      const s = new CaptureSessions<object, object>();
      const before = {};
      s.commandStarted(T1, before, 0);
      s.start(T1, 'INC-7', 'bash', 1);
      assert.equal(s.commandEnded(T1, before, { commandLine: 'tail -f log', exitCode: 130, endedAt: 5 }, []), undefined);
      const during = {};
      s.commandStarted(T1, during, 6);
      assert.ok(s.stop(T1));
      assert.equal(s.commandEnded(T1, during, { commandLine: 'sleep 9', exitCode: 0, endedAt: 9 }, []), undefined);
      assert.equal(s.size, 0);
    });

    it('after a stop and a new start, only commands of the new capture count', () => {
      const s = new CaptureSessions<object, object>();
      s.start(T1, 'INC-7', 'bash', 0);
      const x = {};
      s.commandStarted(T1, x, 1);
      s.stop(T1);
      s.start(T1, 'INC-8', 'bash', 2);
      assert.equal(s.commandEnded(T1, x, { commandLine: 'echo 1', exitCode: 0, endedAt: 3 }, []), undefined);
    });

    it('stopWhere stops the captures of an incident no longer focused, and keeps the others', () => {
      const s = new CaptureSessions<object, object>();
      s.start(T1, 'INC-7', 'bash', 0);
      s.start(T2, 'INC-8', 'zsh', 0);
      const stopped = s.stopWhere((c) => c.incidentId !== 'INC-8');
      assert.deepEqual(stopped.map(([t, c]) => [t, c.terminalName]), [[T1, 'bash']]);
      assert.deepEqual(s.list().map(([t]) => t), [T2]);
    });
  });
});
