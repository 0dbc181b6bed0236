// Lazy chunk (scripts/lazyChunks.mjs): simple-git and what it pulls in (debug, its argv parser, child_process) load
// the first time a repository is read, not at activation. Only src/git/gitRunner.ts loads it.
export { GitError, simpleGit } from 'simple-git';
