// Installable on its own: the controller and the node agent need it at run time, so it is published with them
// (test-support/packed-suite.ts: npm install into an empty project, ESM import, files, size, publint).
import path from 'node:path';
import { expect } from '@jest/globals';
import { describePacked } from '../../../test-support/packed-suite.js';

describePacked({
  packageDir: path.resolve(import.meta.dirname, '..'),
  module: `
    import { RESOURCES, collectionPath, hostSelector, podsOnNodeSelector, KubeError, isTransient } from '@multinic/kube';
    console.log(JSON.stringify({
      pools: collectionPath(RESOURCES.ippools),
      host: hostSelector('node-1'),
      pods: podsOnNodeSelector('node-1'),
      transient: isTransient(new KubeError('UNAVAILABLE', 'x', { status: 503 })),
    }));
  `,
  check: (printed) => {
    expect(printed).toEqual({
      pools: '/apis/multinic.dev/v1/ippools',
      host: 'multinic.dev/host=node-1',
      pods: 'spec.nodeName=node-1',
      transient: true,
    });
  },
});
