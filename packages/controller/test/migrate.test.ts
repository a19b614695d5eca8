// Switching from multi-nic-cni: the objects `multinic migrate` converts (network, CIDR, HostInterface, IPPools with
// their allocations in status) are applied, then the controller starts. It must plan on from the converted CIDR —
// multi-nic-cni's interface indexes and host index, not the ones a fresh plan would choose — and keep the converted
// IPPools (same objects, same allocations), taking them over, instead of deleting them (issue 14).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { migrateObjects } from '@multinic/cli';
import type { TestEnv } from '@multinic/testenv';
import type { Controller } from '../src/index.js';
import type { KubeObject } from '../src/objects.js';
import { conditionOf, eventually, node, RESOURCES, settled, startController, startEnv, type Api } from './harness.js';

const NODE = 'node-mig';
const NET = 'mig-net';
const LEGACY = 'multinic.fms.io/v1';
// multi-nic-cni's layout: 10.23.2.0/24 (eth2) has interface index 0, 10.23.1.0/24 (eth1) index 1, and the host index 3.
const BLOCKS = [
  { nic: 'eth2', net: '10.23.2.0/24', hostIP: '10.23.2.7', index: 0, vlan: '172.23.0.0/18', pod: '172.23.3.0/24' },
  { nic: 'eth1', net: '10.23.1.0/24', hostIP: '10.23.1.7', index: 1, vlan: '172.23.64.0/18', pod: '172.23.67.0/24' },
] as const;
const poolOf = (b: (typeof BLOCKS)[number]): string => `${NET}-${b.pod.replace('/', '-')}`;

let env: TestEnv;
let api: Api;
let controller: Controller | undefined;

beforeAll(async () => {
  ({ env, api } = await startEnv());
});

afterAll(async () => {
  await controller?.stop();
  await env?.stop();
});

function legacyObjects(): Record<string, unknown>[] {
  return [
    {
      apiVersion: LEGACY,
      kind: 'MultiNicNetwork',
      metadata: { name: NET },
      spec: {
        subnet: '172.23.0.0/16',
        ipam: '{"type": "multi-nic-ipam", "hostBlock": 6, "interfaceBlock": 2, "vlanMode": "l3"}',
        multiNicIPAM: true,
        plugin: { cniVersion: '0.3.0', type: 'ipvlan', args: { mode: 'l3' } },
        attachPolicy: { strategy: 'none' },
      },
    },
    {
      apiVersion: LEGACY,
      kind: 'HostInterface',
      metadata: { name: NODE },
      spec: {
        hostName: NODE,
        interfaces: BLOCKS.map((b) => ({ interfaceName: b.nic, netAddress: b.net, hostIP: b.hostIP })),
      },
    },
    {
      apiVersion: LEGACY,
      kind: 'CIDR',
      metadata: { name: NET },
      spec: {
        config: {
          name: NET,
          type: 'multi-nic-ipam',
          subnet: '172.23.0.0/16',
          masterNets: BLOCKS.map((b) => b.net),
          hostBlock: 6,
          interfaceBlock: 2,
          vlanMode: 'l3',
        },
        cidr: BLOCKS.map((b) => ({
          netAddress: b.net,
          interfaceIndex: b.index,
          vlanCIDR: b.vlan,
          hosts: [
            { hostIndex: 3, hostName: NODE, interfaceName: b.nic, hostIP: b.hostIP, podCIDR: b.pod, ippool: poolOf(b) },
          ],
        })),
      },
    },
    ...BLOCKS.map((b) => ({
      apiVersion: LEGACY,
      kind: 'IPPool',
      metadata: { name: poolOf(b) },
      spec: {
        podCIDR: b.pod,
        vlanCIDR: b.vlan,
        netAttachDef: NET,
        hostName: NODE,
        interfaceName: b.nic,
        excludes: [],
        allocations: [{ pod: 'web-0', namespace: 'default', index: 10, address: b.pod.replace('0/24', '10') }],
      },
    })),
  ];
}

const RESOURCE_OF: Record<string, (typeof RESOURCES)[keyof typeof RESOURCES]> = {
  MultiNicNetwork: RESOURCES.networks,
  HostInterface: RESOURCES.hostInterfaces,
  CIDR: RESOURCES.cidrs,
  IPPool: RESOURCES.ippools,
};

describe('the controller after multinic migrate', () => {
  it("plans on from multi-nic-cni's indexes and takes over the converted IPPools with their allocations", async () => {
    await api.create(RESOURCES.nodes, node(NODE));
    const pod = await api.create(RESOURCES.pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-0', namespace: 'default' },
      spec: { nodeName: NODE, containers: [{ name: 'c', image: 'example.invalid/none' }] },
    } as unknown as KubeObject);
    const { objects } = migrateObjects([
      ...legacyObjects().map((value, i) => ({ place: `cluster.yaml (document ${i + 1})`, value })),
      { place: 'pods.yaml', value: pod },
    ]);
    const created = new Map<string, string>();
    for (const obj of objects as unknown as KubeObject[]) {
      const resource = RESOURCE_OF[obj.kind ?? ''];
      if (resource === undefined) throw new Error(`unexpected ${String(obj.kind)}`);
      const made = await api.create(resource, obj);
      created.set(`${String(obj.kind)}/${obj.metadata.name}`, made.metadata.uid ?? '');
      if (obj.kind === 'IPPool')
        await api.patch(RESOURCES.ippools, { name: obj.metadata.name, status: true }, { status: obj['status'] });
    }
    const cidrBefore = (await api.get(RESOURCES.cidrs, NET))?.spec as { cidr: unknown[] };

    controller = await startController(env, { leaderElect: false });
    await eventually(async () =>
      expect(conditionOf(await api.get(RESOURCES.networks, NET), 'Ready')?.status).toBe('True'),
    );
    await settled(controller);

    // The CIDR keeps multi-nic-cni's interface and host indexes and pod blocks.
    const cidr = (await api.get(RESOURCES.cidrs, NET))?.spec as {
      cidr: {
        netAddress: string;
        interfaceIndex: number;
        hosts: { hostIndex: number; podCIDR: string; ippool: string }[];
      }[];
    };
    const layout = (spec: typeof cidr) =>
      spec.cidr
        .flatMap((e) =>
          e.hosts.map((h) => `${e.netAddress} if${e.interfaceIndex} host${h.hostIndex} ${h.podCIDR} ${h.ippool}`),
        )
        .sort();
    expect(layout(cidr)).toEqual(layout(cidrBefore as typeof cidr));
    expect(layout(cidr)).toEqual(BLOCKS.map((b) => `${b.net} if${b.index} host3 ${b.pod} ${poolOf(b)}`).sort());

    // The converted IPPools are the same objects, now controlled by the network, with their allocations.
    const network = await api.get(RESOURCES.networks, NET);
    const pools = (await api.list(RESOURCES.ippools)).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    expect(pools.map((p) => p.metadata.name)).toEqual(BLOCKS.map(poolOf).sort());
    for (const p of pools) {
      expect(p.metadata.uid).toBe(created.get(`IPPool/${p.metadata.name}`));
      expect(p.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'MultiNicNetwork', name: NET, uid: network?.metadata.uid, controller: true }),
      ]);
      const allocations = (p.status as { allocations?: { address: string; podUID: string }[] }).allocations ?? [];
      expect(allocations.map((a) => `${a.address} ${a.podUID}`)).toEqual([
        `${String((p.spec as { podCIDR: string }).podCIDR).replace('0/24', '10')} ${pod.metadata.uid ?? ''}`,
      ]);
    }
  }, 120_000);
});
