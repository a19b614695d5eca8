// Installable on its own, as users will: packed with its workspace dependencies, npm-installed into an empty project,
// imported from ESM, `multi-nic-ipam --version` through npx (test-support/packed-suite.ts: files, size, publint).
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
    import { IPAM_MODES, parseIpamConf, AgentClient } from '@multinic/cni-ipam';
    const conf = parseIpamConf({ cniVersion: '1.0.0', name: 'rails', type: 'macvlan', master: 'eth1', ipam: { type: 'multi-nic-ipam' } }, 'rails');
    console.log(JSON.stringify({ modes: IPAM_MODES, conf, client: typeof AgentClient }));
  `,
  check: (printed) => {
    expect(printed).toEqual({
      modes: ['agent', 'host-local', 'aws-ipvlan'],
      conf: expect.objectContaining({ network: 'rails', agentSocket: '/run/multinic/agent.sock' }),
      client: 'function',
    });
  },
  // The installed package's own version, not the development marker a plugin run from sources reports.
  bins: [
    {
      name: 'multi-nic-ipam',
      version: new RegExp(`^CNI plugin multi-nic-ipam v${version.replaceAll('.', '\\.')}$`, 'm'),
    },
  ],
});
