import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const SRC = path.resolve(__dirname, '..', '..', '..', 'src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

// #14 point 4: one place reads the settings (keys, scopes, defaults, validation), so a setting renamed or added
// cannot be read differently in two places.
describe('extension/settings: the one reader of the settings', () => {
  it('no module but settings.ts calls getConfiguration or listens to configuration changes directly', () => {
    const offenders = sources(SRC)
      .filter((f) => path.relative(SRC, f) !== path.join('extension', 'settings.ts'))
      .filter((f) => /\bgetConfiguration\s*\(|onDidChangeConfiguration\b/.test(fs.readFileSync(f, 'utf8')))
      .map((f) => path.relative(SRC, f));
    assert.deepEqual(offenders, []);
  });
});
