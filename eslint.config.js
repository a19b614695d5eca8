// One lint budget for every package (CONVENTIONS.md §3): small functions, few parameters,
// no floating promises, no default exports.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noDefaultExport = { selector: 'ExportDefaultDeclaration', message: 'Use named exports (CONVENTIONS.md §3).' };

// The pure boundary (CONVENTIONS.md §1): cidr-core, crd-types, policy and netconf do no I/O and read no clock,
// randomness or environment; time, randomness and clients are passed in. A new pure package joins this list.
const purePackages = ['cidr-core', 'crd-types', 'policy', 'netconf'];
const pure = (glob) => purePackages.map((name) => `packages/${name}/${glob}`);
const pureMessage =
  'A pure package does no I/O (CONVENTIONS.md §1): take what you need as an argument, or move this to an adapter.';
const networkModules = ['net', 'http', 'https', 'http2', 'dgram', 'tls', 'dns'];
const ioModules = [...networkModules, 'fs', 'child_process', 'os', 'cluster', 'worker_threads', 'readline', 'process'];
// Matches `fs`, `node:fs`, `fs/promises`, `node:dns/promises`, ...
const importOf = (modules) => `^(node:)?(${modules.join('|')})(/.*)?$`;
const restrictedImports = (modules) => ['error', { patterns: [{ regex: importOf(modules), message: pureMessage }] }];
const dynamicImportOf = (modules) => ({
  selector: `ImportExpression[source.value=/${importOf(modules).replaceAll('/', '\\/')}/]`,
  message: pureMessage,
});
const passTime = 'Pass the time in (CONVENTIONS.md §1).';
const clockAndEnvironment = [
  { object: 'process', property: 'env', message: pureMessage },
  { object: 'Date', property: 'now', message: passTime },
  { object: 'performance', property: 'now', message: passTime },
  { object: 'Math', property: 'random', message: 'Pass randomness in (CONVENTIONS.md §1).' },
];
const wallClock = [
  { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: passTime },
  { selector: "CallExpression[callee.name='Date']", message: passTime },
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.js', '**/*.mjs', '**/*.cjs', 'tools/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'max-params': ['error', 4],
      'max-lines-per-function': ['warn', { max: 80, skipBlankLines: true, skipComments: true }],
      'max-depth': ['error', 4],
      complexity: ['warn', 15],
      'no-restricted-syntax': ['error', noDefaultExport],
    },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts', 'bench/**/*.ts'],
    rules: { 'max-lines-per-function': 'off', complexity: 'off' },
  },
  {
    files: pure('**/*.ts'),
    rules: {
      'no-restricted-imports': restrictedImports(ioModules),
      'no-restricted-properties': ['error', ...clockAndEnvironment],
      'no-restricted-syntax': ['error', noDefaultExport, dynamicImportOf(ioModules), ...wallClock],
    },
  },
  // test/ of a pure package is the integration tier (CONVENTIONS.md §11): it reads fixtures and golden files, runs
  // the reference plugins and reads UPDATE_GOLDEN / PATH. It still opens no sockets and reads no clock.
  {
    files: pure('test/**/*.ts'),
    rules: {
      'no-restricted-imports': restrictedImports(networkModules),
      'no-restricted-properties': ['error', ...clockAndEnvironment.filter((r) => r.object !== 'process')],
      'no-restricted-syntax': ['error', noDefaultExport, dynamicImportOf(networkModules), ...wallClock],
    },
  },
);
