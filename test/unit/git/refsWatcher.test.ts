import * as assert from 'node:assert/strict';
import { RefsWatcher } from '../../../src/git/refsWatcher';
import { findRepository, type RepositoryLocation } from '../../../src/git/repository';
import { Scratch, TempRepo } from './gitFixture';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('git/refsWatcher', () => {
  let scratch: Scratch;
  let repo: TempRepo;
  let loc: RepositoryLocation;
  let watcher: RefsWatcher | undefined;
  let calls = 0;
  before(async () => {
    scratch = new Scratch();
    repo = TempRepo.init(scratch, 'watched');
    repo.commit('one');
    loc = (await findRepository(repo.dir, { env: scratch.env })) as RepositoryLocation;
  });
  beforeEach(() => {
    calls = 0;
    watcher = new RefsWatcher(loc, () => calls++, { debounceMs: 80 });
  });
  afterEach(() => watcher?.dispose());
  after(() => scratch.cleanup());

  // Waits until the debounced callback has fired (or the time is up).
  async function settle(expectAtLeast = 1): Promise<void> {
    for (let i = 0; i < 40 && calls < expectAtLeast; i++) await sleep(50);
    await sleep(150);
  }

  it('fires once, debounced, when several tags are created', async () => {
    repo.tag('deploy/1');
    repo.tag('deploy/2');
    repo.tag('deploy/3', { message: 'three' });
    await settle();
    assert.equal(calls, 1);
  });

  it('fires when refs are packed into packed-refs and when a packed ref is deleted', async () => {
    repo.git(['pack-refs', '--all']);
    await settle();
    assert.ok(calls >= 1);
    calls = 0;
    repo.git(['tag', '-d', 'deploy/1']);
    await settle();
    assert.equal(calls, 1);
  });

  it('fires when HEAD moves to another branch, and when a commit lands', async () => {
    repo.git(['switch', '-q', '-c', 'other']);
    await settle();
    assert.equal(calls, 1);
    calls = 0;
    repo.commit('two');
    await settle();
    assert.equal(calls, 1);
  });

  it('stays quiet after dispose', async () => {
    watcher?.dispose();
    repo.tag('deploy/after-dispose');
    await sleep(300);
    assert.equal(calls, 0);
  });

  it('ignores changes outside refs (index, objects, the work tree)', async () => {
    repo.write('file.txt', 'x');
    repo.git(['add', 'file.txt']);
    await sleep(300);
    assert.equal(calls, 0);
  });
});
