// Lint rules that encode the architecture (DESIGN.md "Rules"): only src/extension/ may import vscode,
// server/ and store/ stay independent of the client side, core/ and protocol/ stay pure.
import tseslint from 'typescript-eslint';

const noVscode = { name: 'vscode', message: 'Only src/extension/ may import vscode (DESIGN.md layering rule).' };
const clientSide = ['**/extension/**', '**/sync/**', '**/git/**'].map((group) => ({
  group: [group],
  message: 'server/ and store/ never import extension/, sync/ or git/ (DESIGN.md layering rule).',
}));
const impure = ['**/extension/**', '**/sync/**', '**/git/**', '**/server/**', '**/store/**', '**/webview/**'].map((group) => ({
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
