// Shared jest configuration (see docs/adr/0001-jest-swc-esm.md).
// Packages are ESM TypeScript; @swc/jest strips types, jest runs with --experimental-vm-modules.
// Workspace packages are mapped to their sources so a test never depends on a stale dist/.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(fileURLToPath(import.meta.url));

/** @param {{ testMatch?: string[], testTimeout?: number }} [options] */
export function jestConfig(options = {}) {
  return {
    testEnvironment: 'node',
    extensionsToTreatAsEsm: ['.ts'],
    transform: {
      '^.+\\.ts$': [
        '@swc/jest',
        {
          jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
          module: { type: 'es6' },
          sourceMaps: 'inline',
        },
      ],
    },
    moduleNameMapper: {
      '^@multinic/([a-z0-9-]+)$': path.join(root, 'packages/$1/src/index.ts'),
      '^(\\.{1,2}/.*)\\.js$': '$1',
    },
    testMatch: options.testMatch ?? ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
    testTimeout: options.testTimeout ?? 30_000,
    passWithNoTests: false,
    reporters: ['default', path.join(root, 'scripts/jest-count-reporter.cjs')],
  };
}
