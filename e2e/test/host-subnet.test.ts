// Host-subnet mode (`subnet: ""`, issue 14 item 3) end to end: the switch holds a gateway address on each NIC
// network's bridge and every host routes a test prefix through it (all inside this test's namespaces, no route out).
// The agents discover those gateways and report them on their HostInterfaces; the controller carves each host a /28
// of each NIC's own subnet (the default hostBlock for a /24), keeps the gateway, the hosts' addresses and the network
// and broadcast addresses out, and writes the gateway on the IPPools. 6 macvlan pods get addresses from the NIC
// subnets and reach each other and the gateway. Then examples/host-device.yaml over 10.10.3.0/24, where each host
// has two spare NICs: 6 pods each take a whole NIC, addressed from that NIC's slice.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { Cluster, ROOT, type IPPool, type Pod } from '../src/cluster.js';
import { macvlanNetwork } from '../src/network.js';
import { ip, waitFor } from '../src/sh.js';
import { attachments, inCidr, pingMatrix } from '../src/survey.js';

const NETWORK = 'multinic-hostsubnet';
const LANS = ['10.10.1.0/24', '10.10.2.0/24'] as const;
/** The host-device network: two NICs per host (eth3, eth4), each a whole NIC for one pod. */
const DEVICE_LAN = '10.10.3.0/24';
/** The switch's address on each NIC network: what the hosts route through, so what the agents discover. */
const gatewayOf = (lan: string): string => lan.replace(/0\/24$/, '254');
const MN = { group: 'multinic.dev', version: 'v1' };

let cluster: Cluster | undefined;
const pods: Pod[] = [];

function started(): Cluster {
  if (cluster === undefined) throw new Error('the cluster did not start (see beforeAll)');
  return cluster;
}

interface HostInterfaceList {
  items: { metadata: { name: string }; spec: { interfaces: { interfaceName: string; gateway?: string }[] } }[];
}

/** host → `nic=gateway` of its HostInterface, sorted. */
async function reportedGateways(c: Cluster): Promise<Record<string, string[]>> {
  const api = c.kubeConfig.makeApiClient(CustomObjectsApi);
  const list = (await api.listClusterCustomObject({ ...MN, plural: 'hostinterfaces' })) as HostInterfaceList;
  return Object.fromEntries(
    list.items.map((h) => [h.metadata.name, h.spec.interfaces.map((n) => `${n.interfaceName}=${n.gateway ?? '-'}`)]),
  );
}

beforeAll(async () => {
  cluster = await Cluster.start({
    hosts: 3,
    networks: [
      ...LANS.map((cidr) => ({ cidr, gateway: `${gatewayOf(cidr)}/24` })),
      { cidr: DEVICE_LAN, nicsPerHost: 2, gateway: `${gatewayOf(DEVICE_LAN)}/24` },
    ],
  });
  // A route through the gateway on each NIC: TEST-NET prefixes, nothing leaves the switch namespace.
  for (const host of cluster.hosts)
    for (const [i, nic] of host.nics.entries())
      await ip(['-n', host.ns, 'route', 'add', `198.18.${i + 1}.0/24`, 'via', gatewayOf(nic.network), 'dev', nic.name]);
  const c = cluster;
  const want = Object.fromEntries(c.hosts.map((h) => [h.name, h.nics.map((n) => `${n.name}=${gatewayOf(n.network)}`)]));
  await waitFor(
    'the agents to report the gateways on their HostInterfaces',
    async () => (JSON.stringify(await reportedGateways(c)) === JSON.stringify(want) ? true : undefined),
    60_000,
  );
  const macvlan = macvlanNetwork(LANS);
  // The macvlan example in host-subnet mode: no subnet, no blocks (hostBlock defaults from the NIC subnet's size).
  await cluster.applyNetwork({
    metadata: { name: NETWORK },
    spec: { ...macvlan.spec, subnet: '', ipam: { type: 'multi-nic-ipam', vlanMode: 'l2' } },
  });
  for (let i = 0; i < 6; i++) {
    const host = cluster.hosts[i % cluster.hosts.length];
    if (host === undefined) throw new Error('no hosts');
    pods.push(await cluster.createPod({ name: `pod-${i + 1}`, host, networks: JSON.stringify([{ name: NETWORK }]) }));
  }
}, 300_000);

afterAll(async () => {
  await cluster?.stopChecked();
}, 120_000);

describe('host-subnet macvlan network, 6 pods over 3 hosts', () => {
  it("gives each host a /28 of each NIC's subnet, with the discovered gateway on its IPPool", async () => {
    const pools = await started().ippools(NETWORK);
    expect(pools).toHaveLength(6);
    for (const pool of pools) {
      const lan = pool.spec.vlanCIDR ?? '';
      expect({ pool: pool.metadata.name, lan: LANS.includes(lan as (typeof LANS)[number]) }).toEqual({
        pool: pool.metadata.name,
        lan: true,
      });
      expect([pool.metadata.name, pool.spec.podCIDR.split('/')[1]]).toEqual([pool.metadata.name, '28']);
      expect(inCidr(pool.spec.podCIDR.split('/')[0] ?? '', lan)).toBe(true);
      expect((pool.spec as { gateway?: string }).gateway).toBe(gatewayOf(lan));
    }
  });

  it("addresses every pod from its host's slice of the NIC subnet: never a host's address, the gateway, the network or broadcast address", async () => {
    const c = started();
    const rows = await attachments(c, NETWORK, pods);
    expect(rows).toHaveLength(12);
    const forbidden = new Set(LANS.flatMap((lan) => forbiddenOn(c, lan)));
    for (const row of rows) {
      const address = row.address.split('/')[0] ?? '';
      expect({ pod: row.pod, forbidden: forbidden.has(address) }).toEqual({ pod: row.pod, forbidden: false });
      expect({ pod: row.pod, nicNetwork: row.nicNetwork, inLan: LANS.some((l) => inCidr(address, l)) }).toEqual({
        pod: row.pod,
        nicNetwork: row.pool?.spec.vlanCIDR,
        inLan: true,
      });
      expect(row.pool?.spec.hostName).toBe(row.host);
    }
    expect(new Set(rows.map((r) => r.address)).size).toBe(12);
  });

  it('every pod pings every other pod on both NIC networks, and the gateway', async () => {
    const c = started();
    const pings = await pingMatrix(c, await attachments(c, NETWORK, pods));
    expect(pings).toHaveLength(6 * 5 * 2);
    expect(pings.filter((p) => !p.ok)).toEqual([]);
    for (const pod of pods)
      for (const lan of LANS)
        expect({ pod: pod.name, gateway: gatewayOf(lan), ok: await c.ping(pod, gatewayOf(lan)) }).toEqual({
          pod: pod.name,
          gateway: gatewayOf(lan),
          ok: true,
        });
  });
});

/** Addresses no pod may get on `lan`: network, broadcast, gateway, every host's address there. */
function forbiddenOn(c: Cluster, lan: string): string[] {
  return [
    lan.replace(/\/24$/, ''),
    lan.replace(/0\/24$/, '255'),
    gatewayOf(lan),
    ...c.hosts.flatMap((h) => h.nics.filter((n) => n.network === lan).map((n) => n.cidr.split('/')[0] ?? '')),
  ];
}

describe('host-subnet host-device network (examples/host-device.yaml), 6 pods over 3 hosts with two spare NICs each', () => {
  const DEVICE_NET = 'multinic-hostdevice';
  const devicePods: Pod[] = [];
  let poolsBefore: IPPool[] = [];

  beforeAll(async () => {
    const c = started();
    const doc = parseYaml(readFileSync(path.join(ROOT, 'examples/host-device.yaml'), 'utf8')) as {
      metadata: { name: string };
      spec: Record<string, unknown>;
    };
    expect([doc.metadata.name, doc.spec['subnet'], doc.spec['masterNets']]).toEqual([DEVICE_NET, '', [DEVICE_LAN]]);
    await c.applyNetwork({ metadata: doc.metadata, spec: doc.spec });
    poolsBefore = await c.ippools(DEVICE_NET);
    for (let i = 0; i < 6; i++) {
      const host = c.hosts[i % c.hosts.length];
      if (host === undefined) throw new Error('no hosts');
      devicePods.push(
        await c.createPod({ name: `dev-${i + 1}`, host, networks: JSON.stringify([{ name: DEVICE_NET }]) }),
      );
    }
  }, 300_000);

  it("plans a /28 per host NIC with that NIC's discovered gateway", () => {
    expect(
      poolsBefore.map((p) => [p.spec.hostName, p.spec.interfaceName, p.spec.podCIDR.split('/')[1]]).sort(),
    ).toEqual(
      ['host-1', 'host-2', 'host-3'].flatMap((h) => [
        [h, 'eth3', '28'],
        [h, 'eth4', '28'],
      ]),
    );
    expect(poolsBefore.map((p) => (p.spec as { gateway?: string }).gateway)).toEqual(
      poolsBefore.map(() => gatewayOf(DEVICE_LAN)),
    );
  });

  it("each pod holds a whole NIC addressed from that NIC's slice: never a host's address or the gateway; all pings answered", async () => {
    const c = started();
    const rows = await attachments(c, DEVICE_NET, devicePods, poolsBefore);
    expect(rows.map((r) => [r.pod, r.host, r.nicNetwork])).toEqual(
      devicePods.map((p) => [p.name, p.host.name, DEVICE_LAN]),
    );
    expect(new Set(rows.map((r) => `${r.host} ${r.nic ?? '?'}`)).size).toBe(6);
    const forbidden = forbiddenOn(c, DEVICE_LAN);
    for (const row of rows)
      expect([row.pod, forbidden.includes(row.address.split('/')[0] ?? '')]).toEqual([row.pod, false]);
    const pings = await pingMatrix(c, rows);
    expect(pings).toHaveLength(6 * 5);
    expect(pings.filter((p) => !p.ok)).toEqual([]);
  });
});
