// Installable on its own, as users will: packed with its workspace dependencies, npm-installed into an empty project,
// imported from ESM, `multi-nic --version` through npx (test-support/packed-suite.ts: files, size, publint).
// The single executable is not in the package: it is built into the repository's dist/cni for the agent image.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from '@jest/globals';
import { describePacked } from '../../../test-support/packed-suite.js';

const { version } = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../package.json'), 'utf8')) as {
  version: string;
};

describePacked({
  packageDir: path.resolve(import.meta.dirname, '..'),
  module: `
    import { mergeResults, multiNicPlugin } from '@multinic/cni-ipvlan';
    const merged = mergeResults([], '/var/run/netns/p1');
    console.log(JSON.stringify({ merged, plugin: typeof multiNicPlugin }));
  `,
  check: (printed) => {
    expect(printed).toMatchObject({ merged: { interfaces: [], ips: [] }, plugin: expect.any(String) });
  },
  // The installed package's own version, not the development marker a plugin run from sources reports.
  bins: [{ name: 'multi-nic', version: new RegExp(`^CNI plugin multi-nic v${version.replaceAll('.', '\\.')}$`, 'm') }],
});
