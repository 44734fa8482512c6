// ESLint flat config. The workflow sandbox is deterministic and has no Node APIs, so workflows/** may
// import only @temporalio/workflow, its own files and *types* from activities/ and src/ (docs/architecture.md).
const { builtinModules } = require('node:module');
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const globals = require('globals');

const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];

module.exports = tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'coverage/**', 'src/db/migrations/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off', 'no-console': 'off' },
  },
  {
    files: ['test/**/*.ts', 'src/devtools/tooling/**', '.ci/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Workflows run in a deterministic sandbox: no Node built-ins.',
          })),
          patterns: [
            {
              group: ['**/src/**', '../src', '../src/*'],
              allowTypeImports: true,
              message: 'Workflows import src/** as types only: pass ids and call activities instead.',
            },
            {
              group: ['**/activities', '**/activities/**'],
              allowTypeImports: true,
              message: 'Workflows import activities as types only (use proxyActivities).',
            },
          ],
        },
      ],
    },
  },
);
