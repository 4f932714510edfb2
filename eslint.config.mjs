// typescript-eslint's recommended and type-checked rules over src/, test/ and bench/ (npm test runs it).
// Rules left out, and why: require-await (tree nodes' getChildren are async by the TreeDataProvider
// contract even when a level is already in memory); in tests, the no-unsafe-* family (below).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'lab/**', 'scripts/**', 'media/**', 'resources/**', '*.mjs', 'bench/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/require-await': 'off',
      // the error-code registry (core/errors.ts ErrorCodes) grows by declaration merging: `interface ErrorCodes extends Record<…> {}`
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
      // a variable that callbacks defined before its one assignment read
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // node:test's describe/it return promises the runner itself awaits
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'before', 'after', 'beforeEach', 'afterEach', 'suite', 'test'] }] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'max-len': ['error', { code: 140, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreComments: false }],
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core never imports vscode (docs/ARCHITECTURE.md)' }] }],
    },
  },
  // Tests read JSON from docker, esxcli and the lab as they come: the type-safety rules for `any` stay for src/ only.
  {
    files: ['test/**', 'bench/**'],
    rules: {
      ...Object.fromEntries(['no-unsafe-member-access', 'no-unsafe-assignment', 'no-unsafe-call', 'no-unsafe-argument', 'no-unsafe-return'].map((r) => [`@typescript-eslint/${r}`, 'off'])),
      // the fixtures import lab/*.mjs (ESM) from compiled CommonJS through new Function('p', 'return import(p)')
      '@typescript-eslint/no-implied-eval': 'off',
      // tests wrap a prompter's methods to record what was asked
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  // the import rule above is for src/core only
  { files: ['src/ui/**', 'src/extension.ts', 'test/vscode/**', 'test/electron/**', 'bench/probes/**', 'bench/fixtures/**'], rules: { 'no-restricted-imports': 'off' } },
);
