import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isInside, resolveInside } from '../../../src/git/pathContainment';
import { Scratch } from './gitFixture';

describe('git/pathContainment', () => {
  let scratch: Scratch;
  let repo: string;
  let secrets: string;
  before(() => {
    scratch = new Scratch();
    // Two sibling folders whose names share a prefix: the case a string-prefix check gets wrong.
    repo = scratch.dir('repo');
    secrets = scratch.dir('repo-secrets');
    fs.writeFileSync(path.join(secrets, '.env'), 'TOKEN=x\n');
    fs.mkdirSync(path.join(repo, 'src'));
    fs.writeFileSync(path.join(repo, 'src', 'app.ts'), 'x\n');
    fs.writeFileSync(path.join(repo, '..notes'), 'a file whose name starts with two dots\n');
  });
  after(() => scratch.cleanup());

  describe('isInside', () => {
    it('is a path relation, not a string prefix', () => {
      assert.equal(isInside(repo, path.join(secrets, '.env')), false);
      assert.equal(isInside(repo, `${repo}-secrets`), false);
      assert.equal(isInside(repo, path.join(repo, 'src', 'app.ts')), true);
      assert.equal(isInside(repo, repo), true);
      assert.equal(isInside(repo, `${repo}${path.sep}`), true);
      assert.equal(isInside(repo, path.join(repo, '..notes')), true);
      assert.equal(isInside(repo, path.join(repo, 'src', '..', '..', 'repo-secrets')), false);
      assert.equal(isInside(repo, path.dirname(repo)), false);
    });
  });

  describe('resolveInside', () => {
    it('refuses ../repo-secrets/.env for /…/repo (the sibling a startsWith check let through)', async () => {
      assert.equal(await resolveInside(repo, '../repo-secrets/.env'), undefined);
      assert.equal(await resolveInside(repo, 'src/../../repo-secrets/.env'), undefined);
    });

    it('refuses absolute paths and NULs', async () => {
      assert.equal(await resolveInside(repo, path.join(secrets, '.env')), undefined);
      assert.equal(await resolveInside(repo, '/etc/passwd'), undefined);
      assert.equal(await resolveInside(repo, 'C:\\Windows\\win.ini'), undefined);
      assert.equal(await resolveInside(repo, 'src/app.ts\0.png'), undefined);
    });

    it('gives the real path of a file inside, also through a base reached by a symlink', async () => {
      const real = fs.realpathSync(path.join(repo, 'src', 'app.ts'));
      assert.equal(await resolveInside(repo, 'src/app.ts'), real);
      assert.equal(await resolveInside(repo, './src/../src/app.ts'), real);
      assert.equal(await resolveInside(repo, '..notes'), fs.realpathSync(path.join(repo, '..notes')));
      const alias = path.join(scratch.root, 'alias');
      fs.symlinkSync(repo, alias, 'dir');
      assert.equal(await resolveInside(alias, 'src/app.ts'), real);
    });

    it('refuses a symlink inside that leads outside, and follows one that stays inside', async function () {
      if (process.platform === 'win32') this.skip(); // symlinks need privileges there
      fs.symlinkSync(path.join(secrets, '.env'), path.join(repo, 'config.env'));
      fs.symlinkSync(secrets, path.join(repo, 'vendor'));
      fs.symlinkSync(path.join(repo, 'src', 'app.ts'), path.join(repo, 'main.ts'));
      assert.equal(await resolveInside(repo, 'config.env'), undefined);
      assert.equal(await resolveInside(repo, 'vendor/.env'), undefined);
      assert.equal(await resolveInside(repo, 'main.ts'), fs.realpathSync(path.join(repo, 'src', 'app.ts')));
    });

    it('refuses what each check alone refuses, even where a later check would not catch it', async function () {
      if (process.platform === 'win32') this.skip(); // file names with ':' and '\\', symlinks
      // The base itself is not a file a client may name.
      assert.equal(await resolveInside(repo, ''), undefined);
      // A Windows drive path is refused on every platform, even where a file of that very name exists.
      fs.writeFileSync(path.join(repo, 'C:\\win.ini'), 'a file named like a Windows path\n');
      assert.equal(await resolveInside(repo, 'C:\\win.ini'), undefined);
      // Out of base as written, though its real path leads back inside: refused (the client asked for ../).
      fs.symlinkSync(path.join(repo, 'src', 'app.ts'), path.join(secrets, 'back.ts'));
      assert.equal(await resolveInside(repo, '../repo-secrets/back.ts'), undefined);
    });

    it('is undefined for a path that does not exist', async () => {
      assert.equal(await resolveInside(repo, 'src/missing.ts'), undefined);
    });
  });
});
