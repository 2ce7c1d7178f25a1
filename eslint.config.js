// Type-aware lint for every TypeScript project in the repo (each folder's tsconfig is found by the project service).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.wrangler/', '.dev-data/', 'bench/out/', 'tests/.tmp/', 'tmp-*', '**/*.js', '**/*.mjs', 'worker/worker-configuration.d.ts'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Spreading an array into a call puts every element on the stack: past ~100k it throws RangeError (a
    // 100k-exchange import did). Product code uses shared/arrays.ts instead.
    files: ['web/src/**/*.{ts,tsx}', 'shared/**/*.ts', 'worker/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'CallExpression[callee.property.name=/^(push|unshift)$/] > SpreadElement', message: 'push(...items) throws past ~100k items: use appendAll from shared/arrays.ts.' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name=/^(max|min)$/] > SpreadElement", message: 'Math.max/min(...values) throws past ~100k values: use maxOf/minOf from shared/arrays.ts.' },
        { selector: "CallExpression[callee.property.name='fromCharCode'] > SpreadElement", message: 'String.fromCharCode(...bytes) throws on large input: convert in chunks of at most 0x8000 and say so.' },
      ],
    },
  },
  {
    // The root tsconfig is a bare base config; vite.config.ts belongs to the web project.
    files: ['vite.config.ts'],
    languageOptions: { parserOptions: { projectService: false, project: './web/tsconfig.json' } },
  },
  {
    // shared/ is pure: no ambient I/O, clocks, timers or randomness (inject them).
    files: ['shared/**/*.ts'],
    ignores: ['shared/cli/**'],
    rules: {
      'no-restricted-globals': ['error', 'fetch', 'setTimeout', 'setInterval', 'window', 'document', 'self', 'indexedDB', 'localStorage', 'navigator'],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Inject a clock.' },
        { object: 'Math', property: 'random', message: 'Inject randomness.' },
        { object: 'crypto', property: 'getRandomValues', message: 'Inject randomness.' },
        { object: 'crypto', property: 'randomUUID', message: 'Inject randomness.' },
      ],
    },
  },
);
