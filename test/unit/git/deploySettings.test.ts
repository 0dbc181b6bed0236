import * as assert from 'node:assert/strict';
import { DEFAULT_TAG_PATTERNS, validateDeploySettings } from '../../../src/git/deploySettings';

// incidentRoom.deploys.* as a user writes them in settings.json: what the sidebar then reads deploys from, and the
// words of each problem shown for what it could not use.

describe('git/deploySettings', () => {
  it('defaults to tags with the usual patterns; a deploy branch alone adds the branch source', () => {
    assert.deepEqual(validateDeploySettings(undefined), { sources: ['tags'], tagPatterns: [...DEFAULT_TAG_PATTERNS], deployBranch: undefined, problems: [] });
    assert.deepEqual(validateDeploySettings({ deployBranch: ' production ' }), { sources: ['tags', 'branch'], tagPatterns: [...DEFAULT_TAG_PATTERNS], deployBranch: 'production', problems: [] });
    // Sources the user chose are kept as chosen, even with a deploy branch set.
    assert.deepEqual(validateDeploySettings({ sources: ['tags'], deployBranch: 'production' }).sources, ['tags']);
    assert.deepEqual(validateDeploySettings({ sources: ['branch', 'branch'], deployBranch: 'origin/production' }).sources, ['branch']);
    // Chosen, but none usable: tags only, not the branch the user left out.
    assert.deepEqual(validateDeploySettings({ sources: ['nope'], deployBranch: 'production' }).sources, ['tags']);
  });

  it('names each source, pattern and branch it ignores', () => {
    const v = validateDeploySettings({ sources: ['tags', 'releases', 7], tagPatterns: ['deploy/*', 'bad pattern', 3, 'release/**'], deployBranch: 'a..b' });
    assert.deepEqual(v.sources, ['tags']);
    assert.deepEqual(v.tagPatterns, ['deploy/*', 'release/**']);
    assert.equal(v.deployBranch, undefined);
    assert.deepEqual(v.problems, [
      'Unknown deploy source "releases" (expected "tags" or "branch").',
      'Unknown deploy source 7 (expected "tags" or "branch").',
      'Ignoring tag pattern "bad pattern": not a valid tag glob.',
      'Ignoring tag pattern 3: not a valid tag glob.',
      'Ignoring deploy branch "a..b": not a valid branch name.',
    ]);
    assert.deepEqual(validateDeploySettings({ tagPatterns: 'deploy/*' }).problems, ['tagPatterns must be a list of globs.']);
    assert.deepEqual(validateDeploySettings({ tagPatterns: 'deploy/*' }).tagPatterns, [...DEFAULT_TAG_PATTERNS]);
    assert.deepEqual(validateDeploySettings({ tagPatterns: ['bad pattern'] }).tagPatterns, [...DEFAULT_TAG_PATTERNS], 'nothing usable left: the defaults');
  });

  it('takes no commit id for a branch name, and a blank one as unset', () => {
    assert.deepEqual(validateDeploySettings({ deployBranch: 'deadbeef' }).problems, ['Ignoring deploy branch "deadbeef": not a valid branch name.']);
    assert.equal(validateDeploySettings({ deployBranch: 'deadbeef' }).deployBranch, undefined);
    // Names that merely contain hex, or are too short to be a commit id, are branches.
    assert.equal(validateDeploySettings({ deployBranch: 'release-cafe' }).deployBranch, 'release-cafe');
    assert.equal(validateDeploySettings({ deployBranch: 'cafe-release' }).deployBranch, 'cafe-release');
    assert.equal(validateDeploySettings({ deployBranch: 'abc' }).deployBranch, 'abc');
    assert.equal(validateDeploySettings({ deployBranch: 'feed-me' }).deployBranch, 'feed-me');
    assert.deepEqual(validateDeploySettings({ deployBranch: '   ' }), { sources: ['tags'], tagPatterns: [...DEFAULT_TAG_PATTERNS], deployBranch: undefined, problems: [] });
  });

  it('reads tags only when the branch source has no branch, and says so', () => {
    const v = validateDeploySettings({ sources: ['branch'] });
    assert.deepEqual(v.sources, ['tags']);
    assert.deepEqual(v.problems, ['The "branch" deploy source needs a deploy branch; reading tags only.']);
    const both = validateDeploySettings({ sources: ['branch', 'tags'], deployBranch: '-production' });
    assert.deepEqual(both.sources, ['tags']);
    assert.deepEqual(both.problems, ['Ignoring deploy branch "-production": not a valid branch name.', 'The "branch" deploy source needs a deploy branch; reading tags only.']);
  });
});
