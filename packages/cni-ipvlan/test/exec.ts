// The plugin executables of this package, run as a runtime runs them (shared helper in test-support/).
import type { CniSpecVersion, MultiNicNetwork } from '@multinic/crd-types';
import { pluginExecutable } from '../../../test-support/cni-exec.js';

export { runPlugin } from '../../../test-support/cni-exec.js';
export type { ExecOutcome } from '../../../test-support/cni-exec.js';

/** The executable `name` of this package, or a loud failure saying how to build it. */
export function executable(name: string): string {
  return pluginExecutable('cni-ipvlan', name);
}

/** The network the executable tests attach: two NIC networks, delegate `type` at `cniVersion`. */
export function testNetwork(
  type: string,
  cniVersion: CniSpecVersion,
  options: { name?: string; spec?: Partial<MultiNicNetwork['spec']> } = {},
): MultiNicNetwork {
  return {
    apiVersion: 'multinic.dev/v1',
    kind: 'MultiNicNetwork',
    metadata: { name: options.name ?? 'multinic-macvlan' },
    spec: {
      subnet: '192.168.0.0/16',
      masterNets: ['10.10.1.0/24', '10.10.2.0/24'],
      multiNICIPAM: true,
      ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2, vlanMode: 'l2' },
      plugin: {
        cniVersion,
        type,
        args: type === 'macvlan' ? { mode: 'bridge' } : type === 'ipvlan' ? { mode: 'l3' } : {},
      },
      ...options.spec,
    },
  };
}
