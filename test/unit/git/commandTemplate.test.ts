import * as assert from 'node:assert/strict';
import { substituteCommand, type CommandVariables } from '../../../src/git/commandTemplate';

const vars: CommandVariables = {
  ref: 'deploy/42',
  sha: 'a'.repeat(40),
  previousRef: 'deploy/41',
  previousSha: 'b'.repeat(40),
  incidentId: 'INC-7',
  remote: 'origin',
};

const problems = (template: unknown, v: CommandVariables = vars): string[] => {
  const r = substituteCommand(template, v);
  assert.equal(r.ok, false, `expected a refusal for ${JSON.stringify(template)}`);
  return r.ok ? [] : r.problems;
};

describe('git/commandTemplate', () => {
  it('substitutes each placeholder inside its own argument, never splitting or joining arguments', () => {
    const r = substituteCommand(['./scripts/deploy.sh', '${previousRef}', '--image=app:${previousSha}', 'for ${incidentId} (was ${ref})'], vars);
    assert.deepEqual(r, {
      ok: true,
      argv: ['./scripts/deploy.sh', 'deploy/41', `--image=app:${'b'.repeat(40)}`, 'for INC-7 (was deploy/42)'],
      used: ['previousRef', 'previousSha', 'incidentId', 'ref'],
    });
    // kubectl/helm-style lines keep their own literal characters; only placeholders change.
    const helm = substituteCommand(['helm', 'rollback', 'web', '--set', 'image.tag=${previousSha}', '--description', 'rollback; not a shell'], vars);
    assert.ok(helm.ok);
    assert.equal(helm.ok && helm.argv[6], 'rollback; not a shell');
  });

  it('refuses an unknown placeholder, an unclosed one, and $name without braces', () => {
    assert.match(problems(['deploy', '${previousTag}'])[0] ?? '', /Unknown placeholder \$\{previousTag\}/);
    assert.match(problems(['deploy', '${HOME}'])[0] ?? '', /Unknown placeholder \$\{HOME\}/);
    assert.match(problems(['deploy', '${previousRef'])[0] ?? '', /unclosed/);
    assert.match(problems(['deploy', '$previousRef'])[0] ?? '', /with braces/);
    // $ that is not a placeholder is just a character.
    assert.ok(substituteCommand(['echo', 'costs $5', '$(not run)'], vars).ok);
  });

  it('refuses placeholders in the program and inside shell command lines', () => {
    assert.match(problems(['${ref}'])[0] ?? '', /program/);
    for (const shell of [['bash', '-c'], ['/bin/sh', '-c'], ['env', 'FOO=1', 'zsh', '-c'], ['cmd.exe', '/c'], ['pwsh', '-Command']]) {
      assert.match(problems([...shell, './deploy.sh ${previousRef}'])[0] ?? '', /call your script directly/, shell.join(' '));
    }
    assert.ok(substituteCommand(['bash', './deploy.sh'], vars).ok, 'a shell without placeholders is the user’s own choice');
  });

  it('refuses values with shell syntax, whitespace, newlines or a leading dash, and missing values', () => {
    for (const hostile of ['deploy/1;rm', 'x$(id)', 'x`id`', 'a b', 'a\nb', '--upload-pack=x', '-x', 'a|b', 'a&b', "a'b", 'a"b', 'a>b', 'a*']) {
      assert.match(problems(['deploy', '${ref}'], { ...vars, ref: hostile })[0] ?? '', /unsafe in a command argument/, JSON.stringify(hostile));
    }
    assert.match(problems(['deploy', '${branch}'])[0] ?? '', /\$\{branch\} has no value/);
    assert.match(problems(['deploy', '${previousRef}'], { ...vars, previousRef: undefined })[0] ?? '', /has no value/);
  });

  it('refuses templates that are not a non-empty list of strings', () => {
    assert.match(problems(undefined)[0] ?? '', /No rollback command is configured/);
    assert.match(problems([])[0] ?? '', /No rollback command/);
    assert.match(problems('./deploy.sh ${previousRef}')[0] ?? '', /No rollback command/);
    assert.match(problems(['deploy', 5])[0] ?? '', /not a string/);
    assert.match(problems([' '])[0] ?? '', /no program/);
    assert.match(problems(['deploy', 'a\0b'])[0] ?? '', /NUL/);
  });
});
