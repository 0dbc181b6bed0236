import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCatalog, type MitigationEntry } from '../../../src/git/mitigationCatalog';
import { confirmText, executeMitigation, mitigationStartedData, planMitigation, type MitigationPlan } from '../../../src/git/mitigationPlan';
import { EventData } from '../../../src/protocol/events';

/** An entry as it arrives: parsed from the catalog's JSON text. */
function entry(over: Record<string, unknown> = {}): MitigationEntry {
  const r = parseCatalog(JSON.stringify({ mitigations: [{
    id: 'receipts-off', title: 'Turn off receipt emails', kind: 'feature-flag', risk: 'low', caution: 'No receipt emails meanwhile.',
    argv: ['./scripts/flag.sh', 'receipt-emails', 'off', '--reason', '${incidentId}'],
    undo: ['./scripts/flag.sh', 'receipt-emails', 'on', '--reason', '${incidentId}'],
    services: ['checkout'], verify: { watch: 'checkout p99 under 800 ms' }, ...over,
  }] }));
  if (!r.ok) throw new Error(r.message);
  return r.catalog.mitigations[0]!;
}

function planned(e: MitigationEntry, vars = {}): MitigationPlan {
  const p = planMitigation(e, 'INC-7', vars);
  if (!p.ok) throw new Error(p.problems.join(' '));
  return p;
}

describe('planMitigation: the rollback command rules for a catalog argv', () => {
  it('substitutes the incident id into its own argument, in the argv and the undo', () => {
    const p = planned(entry());
    assert.deepEqual(p.argv, ['./scripts/flag.sh', 'receipt-emails', 'off', '--reason', 'INC-7']);
    assert.deepEqual(p.undo, ['./scripts/flag.sh', 'receipt-emails', 'on', '--reason', 'INC-7']);
  });

  it('refuses a suspect deploy ref that a shell would interpret, naming the value, and plans nothing', () => {
    const p = planMitigation(entry({ argv: ['./scripts/deploy.sh', '${ref}'] }), 'INC-7', { ref: 'release-1;rm -rf ~' });
    assert.equal(p.ok, false);
    assert.match(p.ok ? '' : p.problems.join(' '), /Refusing to pass "release-1;rm -rf ~" as \$\{ref\}/);
  });

  it('refuses an unsafe value in the undo too (the confirm must show exactly what it would be)', () => {
    const p = planMitigation(entry({ undo: ['./scripts/deploy.sh', '${sha}'] }), 'INC-7', { sha: '$(reboot)' });
    assert.match(p.ok ? "" : p.problems.join(" "), /Refusing to pass "\$\(reboot\)" as \$\{sha\}/);
  });

  it('refuses a placeholder handed to a shell (sh -c), the way rollback does', () => {
    const p = planMitigation(entry({ argv: ['sh', '-c', 'echo ${incidentId}'] }), 'INC-7', {});
    assert.match(p.ok ? '' : p.problems.join(' '), /would be substituted into a command line that "sh" interprets/);
  });

  it('refuses a placeholder with no value here (no suspect deploy flagged yet), saying what it stands for', () => {
    const p = planMitigation(entry({ argv: ['./scripts/deploy.sh', '${previousRef}'] }), 'INC-7', {});
    assert.match(p.ok ? '' : p.problems.join(' '), /\$\{previousRef\} has no value here: the deploy to go back to/);
  });

  it('passes a value with spaces in the template itself as one argument, untouched (no shell splits it)', () => {
    const p = planned(entry({ argv: ['./scripts/flag.sh', 'receipt emails; off', '${incidentId}'] }));
    assert.deepEqual(p.argv, ['./scripts/flag.sh', 'receipt emails; off', 'INC-7']);
  });

  it('says a restart can widen the damage, and a flag does not', () => {
    assert.match(planned(entry({ kind: 'restart', risk: 'high' })).widens ?? '', /restart can widen the damage/);
    assert.match(planned(entry({ kind: 'custom', title: 'Flush the product cache' })).widens ?? '', /cache flush can widen the damage/);
    assert.equal(planned(entry()).widens, undefined);
  });

  it('the confirm shows the exact argv, the risk and caution, the undo and what to watch', () => {
    const { message, detail } = confirmText(planned(entry({ kind: 'restart', risk: 'high', caution: 'Drops in-flight checkouts.' })));
    assert.equal(message, 'Turn off receipt emails?');
    assert.match(detail, /^Will run: \.\/scripts\/flag\.sh receipt-emails off --reason INC-7$/m);
    assert.match(detail, /^Risk: high\. Drops in-flight checkouts\.$/m);
    assert.match(detail, /⚠ A restart can widen the damage/);
    assert.match(detail, /^Undo: \.\/scripts\/flag\.sh receipt-emails on --reason INC-7$/m);
    assert.match(detail, /^Afterwards, watch: checkout p99 under 800 ms$/m);
  });

  it('mitigation.started carries the wire action for the kind, the catalog id, the risk and the command; the wire accepts it', () => {
    const data = mitigationStartedData(planned(entry({ kind: 'traffic-shift', risk: 'medium' })), '3f1c2a9e-8d4b-4c1e-9a7f-0b6d5e4c3a21');
    assert.equal(data.action, 'traffic_shift');
    assert.equal(data.catalogId, 'receipts-off');
    assert.equal(data.risk, 'medium');
    assert.equal(data.command, './scripts/flag.sh receipt-emails off --reason INC-7');
    assert.ok(EventData['mitigation.started'].safeParse(data).success);
  });
});

describe('executeMitigation: runs the argv with no shell and reports its output', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-mitigation-'));
    fs.mkdirSync(path.join(dir, 'scripts'));
    fs.writeFileSync(path.join(dir, 'scripts', 'flag.sh'), '#!/bin/sh\necho "flag $1 -> $2 ($4)"\n[ "$2" = off ] || { echo "refused: $2" >&2; exit 3; }\necho "$4" > flagged.txt\n', { mode: 0o755 });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('succeeds with exit code 0, the output on the record, and what to watch', async () => {
    const out = await executeMitigation(planned(entry()), { cwd: dir });
    assert.equal(out.result, 'succeeded');
    assert.match(out.detail, /exited with code 0/);
    assert.match(out.detail, /flag receipt-emails -> off \(INC-7\)/);
    assert.match(out.detail, /Watch: checkout p99 under 800 ms/);
    assert.equal(fs.readFileSync(path.join(dir, 'flagged.txt'), 'utf8').trim(), 'INC-7');
  });

  it('fails with the exit code, the output and the undo', async () => {
    const out = await executeMitigation(planned(entry({ argv: ['./scripts/flag.sh', 'receipt-emails', 'sideways', '--reason', '${incidentId}'] })), { cwd: dir });
    assert.equal(out.result, 'failed');
    assert.equal(out.exitCode, 3);
    assert.match(out.detail, /exited with code 3/);
    assert.match(out.detail, /refused: sideways/);
    assert.match(out.detail, /Undo: \.\/scripts\/flag\.sh receipt-emails on/);
  });

  it('fails clearly when the program is not there', async () => {
    const out = await executeMitigation(planned(entry({ argv: ['./scripts/missing.sh'] })), { cwd: dir });
    assert.equal(out.result, 'failed');
    assert.match(out.detail, /missing\.sh: command not found/);
  });

  it('is cancelled by the signal', async () => {
    const controller = new AbortController();
    const run = executeMitigation(planned(entry({ argv: ['sleep', '5'] })), { cwd: dir, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    assert.equal((await run).result, 'cancelled');
  });
});
