// Installable on its own, as users will: packed with @multinic/crd-types (and cidr-core), npm-installed into an empty
// project, imported from ESM (test-support/packed-suite.ts: files, size, publint).
import path from 'node:path';
import { expect } from '@jest/globals';
import { describePacked } from '../../../test-support/packed-suite.js';

describePacked({
  packageDir: path.resolve(import.meta.dirname, '..'),
  module: `
    import { CNI_COMMANDS, LATEST_CNI_VERSION, parseEnvironment, CniFailure } from '@multinic/cni-skel';
    const del = parseEnvironment({ CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'c1', CNI_IFNAME: 'net1', CNI_PATH: '/opt/cni/bin:/usr/lib/cni', CNI_ARGS: 'K8S_POD_NAME=p' });
    let bad;
    try { parseEnvironment({ CNI_COMMAND: 'NOPE' }); } catch (err) { bad = err instanceof CniFailure; }
    console.log(JSON.stringify({ commands: CNI_COMMANDS, latest: LATEST_CNI_VERSION, del, bad }));
  `,
  check: (printed) => {
    expect(printed).toMatchObject({
      commands: ['ADD', 'DEL', 'CHECK', 'GC', 'STATUS', 'VERSION'],
      latest: '1.1.0',
      del: {
        command: 'DEL',
        containerId: 'c1',
        ifname: 'net1',
        args: { K8S_POD_NAME: 'p' },
        path: ['/opt/cni/bin', '/usr/lib/cni'],
      },
      bad: true,
    });
  },
});
