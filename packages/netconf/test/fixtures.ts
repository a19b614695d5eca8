// The example network every golden file and the reference-plugin test are generated from.
import type { CniSpecVersion, MultiNicNetwork } from '@multinic/crd-types';
import { CNI_SPEC_VERSIONS } from '@multinic/crd-types';
import type { DelegateNic, PluginType } from '../src/index.js';
import { PLUGIN_TYPES } from '../src/index.js';

/** Plugin args per type, written the way users write them (multi-nic-cni style strings mixed with JSON values). */
export const EXAMPLE_ARGS: Readonly<Record<PluginType, Record<string, unknown>>> = {
  ipvlan: { mode: 'l3', mtu: '9000' },
  macvlan: { mode: 'bridge', mtu: 1500 },
  'host-device': { resourceName: 'nvidia.com/hostdev' },
  sriov: {
    resourceName: 'openshift.io/mlnxnics',
    vlan: '100',
    vlanQoS: '3',
    vlanProto: '802.1q',
    spoofChk: 'off',
    trust: 'on',
    linkState: 'enable',
    minTxRate: '1000',
    maxTxRate: 25000,
  },
  'aws-ipvlan': { mode: 'l3', mtu: 9001 },
};

export function exampleNetwork(
  type: PluginType,
  cniVersion: CniSpecVersion,
  args: Record<string, unknown> = EXAMPLE_ARGS[type],
): MultiNicNetwork {
  return {
    apiVersion: 'multinic.dev/v1',
    kind: 'MultiNicNetwork',
    metadata: { name: 'multi-nic-net' },
    spec: {
      subnet: '192.168.0.0/16',
      masterNets: ['10.0.0.0/16', '10.1.0.0/16'],
      multiNICIPAM: true,
      ipam: {
        type: 'multi-nic-ipam',
        hostBlock: 6,
        interfaceBlock: 2,
        vlanMode: 'l3',
        routes: [
          { dst: '172.16.0.0/12', gw: '192.168.63.254' },
          { dst: '172.16.0.0/12', gw: '192.168.127.254' },
          { dst: '10.10.0.0/16', gw: '192.168.63.254' },
        ],
      },
      plugin: { cniVersion, type, args },
      namespaces: ['team-b', 'team-a'],
    },
  };
}

/** Two NICs of one host as the agent allocates them (interface block /18, host block /24). */
export const EXAMPLE_NICS: readonly DelegateNic[] = [
  {
    interfaceName: 'eth1',
    podInterface: 'net1-0',
    address: '192.168.0.1/18',
    vlanCIDR: '192.168.0.0/18',
    gateway: '192.168.63.254',
    pciAddress: '0000:3b:00.2',
  },
  {
    interfaceName: 'eth2',
    podInterface: 'net1-1',
    address: '192.168.64.1',
    vlanCIDR: '192.168.64.0/18',
    gateway: '192.168.127.254',
    pciAddress: '0000:86:00.2',
  },
];

export const ALL_VERSIONS: readonly CniSpecVersion[] = CNI_SPEC_VERSIONS;
export const ALL_TYPES: readonly PluginType[] = PLUGIN_TYPES;
