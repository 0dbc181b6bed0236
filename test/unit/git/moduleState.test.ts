import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

// Git state has one owner, a GitRepository per root held by the container's GitRepositories: no module of
// src/git keeps state of its own (a module-level cache or queue is shared by every caller, outlives the
// extension's disposal and cannot be told apart per repository). Constant tables are fine.
const GIT_DIR = path.join(__dirname, '..', '..', '..', 'src', 'git');

/** Top-level declarations that hold mutable state: `let`/`var`, and an empty Map/Set/WeakMap/array to fill later. */
function moduleState(source: string): string[] {
  return source
    .split('\n')
    .filter((line) =>
      /^(export )?(let|var) /.test(line) ||
      /^(export )?const \w+(: [^=]+)? = new (Weak)?(Map|Set)\b[^(]*\(\s*\)/.test(line) ||
      /^(export )?const \w+(: [^=]+)? = \[\];/.test(line),
    );
}

describe('git/ module state', () => {
  it('finds state in a module that keeps some (so the check below can fail)', () => {
    assert.deepEqual(moduleState('const queues = new Map<string, Q>();\nlet active = 0;\nconst T = new Set([1]);\nfunction f() {\n  let x = 1;\n}\n'), [
      'const queues = new Map<string, Q>();',
      'let active = 0;',
    ]);
  });

  it('no module of src/git keeps state of its own', () => {
    const found = fs
      .readdirSync(GIT_DIR)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => moduleState(fs.readFileSync(path.join(GIT_DIR, f), 'utf8')).map((line) => `${f}: ${line}`));
    assert.deepEqual(found, []);
  });
});
