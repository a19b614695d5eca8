// Installable on its own, as users will: packed with its workspace dependencies, npm-installed into an empty project,
// imported from ESM, `multinic-controller --version` through npx (test-support/packed-suite.ts: files, size,
// publint). The single executable is not in the package: it is built into the repository's dist/bin for the image.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from '@jest/globals';
import { describePacked } from '../../../test-support/packed-suite.js';

const packageDir = path.resolve(import.meta.dirname, '..');
const { version } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };

describePacked({
  packageDir,
  module: `
    import { parseConfig, Controller } from '@multinic/controller';
    const good = parseConfig({ argv: ['--log-level', 'debug'], env: {}, defaultIdentity: 'h_1' });
    const bad = parseConfig({ argv: ['--log-level', 'loud'], env: {}, defaultIdentity: 'h_1' });
    console.log(JSON.stringify({ good: good.ok && good.value.logLevel, bad: bad.ok, controller: typeof Controller }));
  `,
  check: (printed) => {
    expect(printed).toEqual({ good: 'debug', bad: false, controller: 'function' });
  },
  bins: [
    { name: 'multinic-controller', version: new RegExp(`^multinic-controller ${version.replaceAll('.', '\\.')}$`) },
  ],
});
