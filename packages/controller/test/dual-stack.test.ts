// A dual-stack network (ADR 0006: spec.subnets with one IPv4 and one IPv6 subnet) against a real control plane: the
// controller plans both families over the same NIC networks, writes the second plan as CIDR.spec.otherFamily and an
// IPPool per (host, NIC, family); a single-family network next to it gets exactly what computePlan gives.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { computePlan } from '@multinic/cidr-core';
import { MultiNicNetworkSchema, parseWith, planConfigOf, planHostOf } from '@multinic/crd-types';
import type { TestEnv } from '@multinic/testenv';
import type { Controller } from '../src/index.js';
import type { KubeObject } from '../src/objects.js';
import {
  conditionOf,
  eventually,
  network,
  node,
  RESOURCES,
  settled,
  startController,
  startEnv,
  type Api,
} from './harness.js';

const DUAL = 'ds';
const SINGLE = 'v4only';
let env: TestEnv;
let api: Api;
let controller: Controller;

/** eth1 and eth2 of host i, with an IPv6 address beside the IPv4 one unless `v6` is false. */
function hostInterface(name: string, i: number, v6 = true): KubeObject {
  const interfaces = [1, 2].map((net) => ({
    interfaceName: `eth${net}`,
    netAddress: `10.0.${net}.0/24`,
    hostIP: `10.0.${net}.${i}`,
    ...(v6 ? { addresses: [`10.0.${net}.${i}/24`, `fd00:${net}::${i}/64`] } : {}),
  }));
  return {
    apiVersion: 'multinic.dev/v1',
    kind: 'HostInterface',
    metadata: { name },
    spec: { hostName: name, interfaces },
  };
}

interface PoolSpec {
  network: string;
  hostName: string;
  interfaceName: string;
  podCIDR: string;
  vlanCIDR: string;
}

async function pools(name: string): Promise<(PoolSpec & { labels: Record<string, string> | undefined })[]> {
  return (await api.list(RESOURCES.ippools))
    .map((p) => ({ ...(p.spec as PoolSpec), labels: p.metadata.labels }))
    .filter((p) => p.network === name)
    .sort((a, b) => `${a.hostName}/${a.podCIDR}`.localeCompare(`${b.hostName}/${b.podCIDR}`));
}

const DUAL_SPEC = {
  subnet: undefined,
  subnets: [{ cidr: '192.168.0.0/16' }, { cidr: 'fd00:10::/48', interfaceBlock: 8, hostBlock: 8 }],
};

beforeAll(async () => {
  ({ env, api } = await startEnv());
  for (const [name, i] of [
    ['node-1', 1],
    ['node-2', 2],
  ] as const) {
    await api.create(RESOURCES.nodes, node(name));
    await api.create(RESOURCES.hostInterfaces, hostInterface(name, i));
  }
  controller = await startController(env, { leaderElect: false });
}, 120_000);

afterAll(async () => {
  await controller?.stop();
  await env?.stop();
});

describe('a dual-stack network', () => {
  it('gets an IPPool of each family per host and NIC, and a CIDR with the IPv6 plan as otherFamily', async () => {
    await api.create(RESOURCES.networks, network(DUAL, DUAL_SPEC));
    await eventually(async () => expect((await pools(DUAL)).length).toBe(8));
    const byFamily = (await pools(DUAL)).map((p) => [p.hostName, p.interfaceName, p.podCIDR, p.vlanCIDR]);
    expect(byFamily).toEqual([
      ['node-1', 'eth1', '192.168.0.0/24', '192.168.0.0/18'],
      ['node-1', 'eth2', '192.168.64.0/24', '192.168.64.0/18'],
      ['node-1', 'eth1', 'fd00:10::/64', 'fd00:10::/56'],
      ['node-1', 'eth2', 'fd00:10:0:100::/64', 'fd00:10:0:100::/56'],
      ['node-2', 'eth1', '192.168.1.0/24', '192.168.0.0/18'],
      ['node-2', 'eth2', '192.168.65.0/24', '192.168.64.0/18'],
      ['node-2', 'eth1', 'fd00:10:0:1::/64', 'fd00:10::/56'],
      ['node-2', 'eth2', 'fd00:10:0:101::/64', 'fd00:10:0:100::/56'],
    ]);
    // Labels as for a single-family pool: network, host, NIC.
    for (const pool of await pools(DUAL))
      expect(pool.labels).toMatchObject({ 'multinic.dev/network': DUAL, 'multinic.dev/host': pool.hostName });

    const cidr = (await api.get(RESOURCES.cidrs, DUAL))?.spec as {
      config: { subnet: string };
      cidr: { netAddress: string; interfaceIndex: number }[];
      otherFamily?: {
        config: { subnet: string };
        cidr: { netAddress: string; interfaceIndex: number; hosts: { hostIP: string }[] }[];
      };
    };
    expect(cidr.config.subnet).toBe('192.168.0.0/16');
    expect(cidr.cidr.map((e) => [e.netAddress, e.interfaceIndex])).toEqual([
      ['10.0.1.0/24', 0],
      ['10.0.2.0/24', 1],
    ]);
    expect(cidr.otherFamily?.config.subnet).toBe('fd00:10::/48');
    expect(cidr.otherFamily?.cidr.map((e) => [e.netAddress, e.interfaceIndex])).toEqual([
      ['fd00:1::/64', 0],
      ['fd00:2::/64', 1],
    ]);
    expect(cidr.otherFamily?.cidr[0]?.hosts.map((h) => h.hostIP)).toEqual(['fd00:1::1', 'fd00:1::2']);

    await eventually(async () => {
      const net = await api.get(RESOURCES.networks, DUAL);
      expect(conditionOf(net, 'Ready')?.status).toBe('True');
      expect(conditionOf(net, 'Ready')?.message).toMatch(/^8 IPPools on 2 hosts/);
      expect(conditionOf(net, 'PlanComputed')?.message).toMatch(/2 interface networks \(IPv4 and IPv6\), 2 hosts/);
      const interfaces = (net?.status as { interfaces?: { netAddress: string; numOfHosts: number }[] }).interfaces;
      expect(interfaces?.map((i) => [i.netAddress, i.numOfHosts])).toEqual([
        ['10.0.1.0/24', 2],
        ['10.0.2.0/24', 2],
        ['fd00:1::/64', 2],
        ['fd00:2::/64', 2],
      ]);
    });
    // One NetworkAttachmentDefinition per namespace, as for any network.
    const nads = await api.list(RESOURCES.nads, { labelSelector: `multinic.dev/network=${DUAL}` });
    expect(nads.length).toBeGreaterThan(0);
    expect(new Set(nads.map((n) => n.metadata.namespace)).size).toBe(nads.length);
  });

  it('a host whose NICs have no IPv6 address gets IPv4 pools only, and Degraded names host, NIC and family', async () => {
    await api.create(RESOURCES.nodes, node('node-3'));
    await api.create(RESOURCES.hostInterfaces, hostInterface('node-3', 3, false));
    await eventually(async () => {
      const net = await api.get(RESOURCES.networks, DUAL);
      expect(conditionOf(net, 'Degraded')?.message).toMatch(
        /host node-3 interface eth1 on 10\.0\.1\.0\/24 has no IPv6 address/,
      );
      const mine = (await pools(DUAL)).filter((p) => p.hostName === 'node-3');
      expect(mine.map((p) => p.podCIDR)).toEqual(['192.168.2.0/24', '192.168.66.0/24']);
    });
    await api.remove(RESOURCES.hostInterfaces, 'node-3');
    await api.remove(RESOURCES.nodes, 'node-3');
  });

  it('a single-family network beside it gets exactly what computePlan gives, and no otherFamily', async () => {
    await api.create(RESOURCES.networks, network(SINGLE, { subnet: '172.16.0.0/16' }));
    await eventually(async () => expect((await pools(SINGLE)).length).toBe(4));
    await settled(controller);
    const raw = await api.get(RESOURCES.networks, SINGLE);
    const parsed = parseWith(MultiNicNetworkSchema, raw);
    if (!parsed.ok) throw new Error('the network does not parse');
    const hosts = (await api.list(RESOURCES.hostInterfaces)).map((hi) => planHostOf(hi as never));
    const expected = computePlan({ networkName: SINGLE, config: planConfigOf(parsed.value), hosts });
    const cidr = await api.get(RESOURCES.cidrs, SINGLE);
    expect(cidr?.spec).toEqual(expected.plan);
    expect(Object.keys(cidr?.spec ?? {}).sort()).toEqual(['cidr', 'config']);
    expect((await pools(SINGLE)).map((p) => p.podCIDR).sort()).toEqual(expected.ippools.map((p) => p.podCIDR).sort());
  });
});
