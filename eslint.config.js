// @ts-check
// Lint: typescript-eslint's type-aware recommended set plus the promise and switch rules the project relies on.
// Formatting is Prettier's job (npm run format); nothing here overlaps with it.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/', 'node_modules/', 'test/fixtures/', 'bench/results/', 'src/server/web/']},
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {projectService: true, tsconfigRootDir: import.meta.dirname},
    },
    linterOptions: {reportUnusedDisableDirectives: 'error'},
    rules: {
      // `void promise` is no excuse: a rejected promise nobody handles takes the process down.
      '@typescript-eslint/no-floating-promises': ['error', {ignoreVoid: false}],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', {considerDefaultExhaustiveForUnions: true}],
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none'}],
      // An async function without await is a fine way to turn a throw into a rejection.
      '@typescript-eslint/require-await': 'off',
      'prefer-const': ['error', {ignoreReadBeforeAssign: true}],
      // `xs[i]!` marks an index the reader should know is in range (noUncheckedIndexedAccess is off for speed of hot loops).
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Messages quote what the user gave with String(value) on purpose, whatever its type.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    // Tests and benches poke at JSON and at transformers.js (typed loosely); the any-flow rules would only add casts there.
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {files: ['test/**'], rules: {'@typescript-eslint/no-explicit-any': 'off'}},
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
)
