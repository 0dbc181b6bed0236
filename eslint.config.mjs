// Lint rules that encode the architecture (DESIGN.md "Rules"): only src/extension/ may import vscode,
// server/ and store/ stay independent of the client side and the client (sync/) of them — local/ is the one part
// that joins the two, loaded as a lazy chunk — core/ and protocol/ stay pure.
import tseslint from 'typescript-eslint';

const noVscode = { name: 'vscode', message: 'Only src/extension/ may import vscode (DESIGN.md layering rule).' };
const clientSide = ['**/extension/**', '**/sync/**', '**/git/**', '**/local/**', '**/chunks/**'].map((group) => ({
  group: [group],
  message: 'server/ and store/ never import extension/, sync/, git/ or local/ (DESIGN.md layering rule).',
}));
const serverSide = ['**/server/**', '**/store/**', '**/local/**', '**/extension/**'].map((group) => ({
  group: [group],
  message: 'sync/ (the channel client) never imports server/, store/, local/ or extension/: local mode (local/) joins client and server (DESIGN.md layering rule).',
}));
// A lazy chunk (scripts/lazyChunks.mjs) is loaded with require() inside a function; a static import would put it
// back into dist/extension.js. Types may be imported: they leave nothing in the bundle.
const chunks = { group: ['**/chunks/**'], allowTypeImports: true, message: 'Load a lazy chunk with require() inside a function (scripts/lazyChunks.mjs), not a static import.' };
// What activation loads must not pull in the channel server or the store: extension/ reaches them only through
// local mode's chunk.
const hostingSide = ['**/server/**', '**/store/**'].map((group) => ({
  group: [group], allowTypeImports: true,
  message: 'extension/ reaches the channel server and store only through the localHost lazy chunk (src/local/localChannelHost.ts), so dist/extension.js does not carry them.',
}));
const impure = ['**/extension/**', '**/sync/**', '**/git/**', '**/server/**', '**/store/**', '**/webview/**', '**/local/**', '**/chunks/**'].map((group) => ({
  group: [group],
  message: 'core/ and protocol/ import nothing with side effects (DESIGN.md layering rule).',
}));

export default tseslint.config(
  { ignores: ['dist/**', 'dist-test/**', 'node_modules/**', 'test-output/**', '.vscode-test/**', 'dist-vsix/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': ['error', { paths: [noVscode] }],
    },
  },
  { files: ['src/extension/**/*.ts', 'test/integration/**/*.ts'], rules: { 'no-restricted-imports': 'off' } },
  { files: ['src/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [chunks] }] } },
  { files: ['src/extension/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [chunks, ...hostingSide] }] } },
  {
    // The half of local mode the extension builds at activation: everything else of local/ is in the chunk.
    files: ['src/local/localChannelHost.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [chunks, ...hostingSide, { group: ['./*', '!./localChannelHost'], allowTypeImports: true, message: 'localChannelHost.ts is loaded at activation: the rest of local/ reaches it through the localHost lazy chunk.' }],
      }],
    },
  },
  {
    files: ['src/sync/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode], patterns: serverSide }] },
  },
  {
    files: ['src/server/**/*.ts', 'src/store/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode], patterns: clientSide }] },
  },
  {
    files: ['src/core/**/*.ts', 'src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noVscode, ...['fs', 'node:fs', 'child_process', 'node:child_process', 'net', 'node:net', 'ws'].map((name) => ({ name, message: 'core/ and protocol/ stay pure.' }))],
        patterns: impure,
      }],
    },
  },
);
