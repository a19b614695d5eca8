// Installable on its own, as users will: packed with its workspace dependencies, npm-installed into an empty project,
// imported from ESM, `multinic-agent --version` through npx (test-support/packed-suite.ts: files, size, publint).
// The single executable is not in the package: it is built into the repository's dist/bin for the image.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from '@jest/globals';
import { describePacked } from '../../../test-support/packed-suite.js';

const packageDir = path.resolve(import.meta.dirname, '..');
const { version } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };

describePacked({
  packageDir,
  module: `
    import { parseConfig, AgentConfigSchema } from '@multinic/node-agent';
    const bad = parseConfig({ argv: ['--no-such-flag'], env: {}, readFile: () => '{}' });
    console.log(JSON.stringify({ bad: bad.ok, schema: typeof AgentConfigSchema.safeParse }));
  `,
  check: (printed) => {
    expect(printed).toEqual({ bad: false, schema: 'function' });
  },
  bins: [{ name: 'multinic-agent', version: new RegExp(`^multinic-agent ${version.replaceAll('.', '\\.')}$`) }],
});
