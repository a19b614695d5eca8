// Host-subnet mode (`subnet: ""`, examples/host-device.yaml) against a real control plane: the gateways the node
// agents discovered on the HostInterfaces reach the IPPools, and no pool's block holds a host address, a gateway,
// the network address or an excluded address.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { computePlan, parsePrefix, prefixContainsAddress, parseAddress } from '@multinic/cidr-core';
import { MultiNicNetworkSchema, planConfigOf, planHostOf, type MultiNicNetwork } from '@multinic/crd-types';
import type { TestEnv } from '@multinic/testenv';
import type { Controller } from '../src/index.js';
import type { KubeObject } from '../src/objects.js';
import { conditionOf, eventually, network, node, RESOURCES, startController, startEnv, type Api } from './harness.js';

const NET = 'multinic-hostdevice';
const LAN = '10.0.3.0/24';
let env: TestEnv;
let api: Api;
let controller: Controller;

interface Nic {
  interfaceName: string;
  netAddress: string;
  hostIP: string;
  gateway?: string;
}

function hostInterface(name: string, nics: readonly Nic[]): KubeObject {
  return {
    apiVersion: 'multinic.dev/v1',
    kind: 'HostInterface',
    metadata: { name },
    spec: { hostName: name, interfaces: nics },
  };
}

const nic = (hostIP: string, gateway?: string): Nic => ({
  interfaceName: 'eth1',
  netAddress: LAN,
  hostIP,
  ...(gateway === undefined ? {} : { gateway }),
});

interface PoolSpec {
  hostName: string;
  podCIDR: string;
  excludes: string[];
  gateway?: string;
}

async function pools(): Promise<PoolSpec[]> {
  return (await api.list(RESOURCES.ippools))
    .map((p) => p.spec as PoolSpec & { network: string })
    .filter((p) => p.network === NET)
    .sort((a, b) => a.hostName.localeCompare(b.hostName));
}

beforeAll(async () => {
  ({ env, api } = await startEnv());
  const hosts: [string, Nic][] = [
    ['node-1', nic('10.0.3.1', '10.0.3.254')],
    ['node-2', nic('10.0.3.2', '10.0.3.254')],
    ['node-3', nic('10.0.3.40')],
  ];
  for (const [name, n] of hosts) {
    await api.create(RESOURCES.nodes, node(name));
    await api.create(RESOURCES.hostInterfaces, hostInterface(name, [n]));
  }
  controller = await startController(env, { leaderElect: false });
}, 120_000);

afterAll(async () => {
  await controller?.stop();
  await env?.stop();
});

describe('host-subnet mode', () => {
  it('plans examples/host-device.yaml without hostBlock: each host a /28 of the NIC subnet, the pools carry the discovered gateway and the excludes', async () => {
    await api.create(
      RESOURCES.networks,
      network(NET, {
        subnet: '',
        masterNets: [LAN],
        ipam: { type: 'multi-nic-ipam', vlanMode: 'l2', excludeCIDRs: ['10.0.3.20/32'] },
        plugin: { cniVersion: '1.0.0', type: 'host-device' },
        attachPolicy: { strategy: 'none', nics: 1 },
      }),
    );
    await eventually(async () =>
      expect(await pools()).toEqual([
        expect.objectContaining({
          hostName: 'node-1',
          podCIDR: '10.0.3.16/28',
          excludes: ['10.0.3.20/32'],
          gateway: '10.0.3.254',
        }),
        expect.objectContaining({ hostName: 'node-2', podCIDR: '10.0.3.48/28', excludes: [], gateway: '10.0.3.254' }),
        expect.objectContaining({ hostName: 'node-3', podCIDR: '10.0.3.64/28', excludes: [] }),
      ]),
    );
    expect((await pools())[2]?.gateway).toBeUndefined();
    const net = await api.get(RESOURCES.networks, NET);
    await eventually(async () =>
      expect(conditionOf((await api.get(RESOURCES.networks, NET)) as KubeObject, 'Ready')).toMatchObject({
        status: 'True',
      }),
    );
    // Exactly what cidr-core plans for the HostInterfaces as the API server stored them.
    const expected = computePlan({
      networkName: NET,
      config: planConfigOf(MultiNicNetworkSchema.parse(net) as MultiNicNetwork),
      hosts: (await api.list(RESOURCES.hostInterfaces)).map((h) => planHostOf(h as Parameters<typeof planHostOf>[0])),
    });
    expect(expected.problems).toEqual([]);
    expect((await api.get(RESOURCES.cidrs, NET))?.spec).toEqual(expected.plan);
    expect(expected.plan.config).not.toHaveProperty('hostBlock');
    // No block holds a host address, a gateway or the network address.
    const forbidden = ['10.0.3.0', '10.0.3.1', '10.0.3.2', '10.0.3.40', '10.0.3.254'];
    for (const pool of await pools()) {
      const block = parsePrefix(pool.podCIDR);
      if (!block.ok) throw new Error(block.error);
      for (const text of forbidden) {
        const address = parseAddress(text);
        if (!address.ok) throw new Error(address.error);
        expect([pool.podCIDR, text, prefixContainsAddress(block.value, address.value)]).toEqual([
          pool.podCIDR,
          text,
          false,
        ]);
      }
    }
  });

  it('a gateway an agent discovers later reaches its IPPool; a block that gains it keeps its place and excludes it (its pods never move)', async () => {
    await api.patch(
      RESOURCES.hostInterfaces,
      { name: 'node-3' },
      { spec: { interfaces: [nic('10.0.3.40', '10.0.3.70')] } },
    );
    await eventually(async () =>
      expect((await pools()).map((p) => [p.hostName, p.podCIDR, p.excludes, p.gateway])).toEqual([
        ['node-1', '10.0.3.16/28', ['10.0.3.20/32'], '10.0.3.254'],
        ['node-2', '10.0.3.48/28', [], '10.0.3.254'],
        ['node-3', '10.0.3.64/28', ['10.0.3.70/32'], '10.0.3.70'],
      ]),
    );
  });
});
