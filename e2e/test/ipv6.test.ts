// An IPv6-only network end to end (issue 15): examples/ipv6.yaml (macvlan bridge, subnet fd00:30::/48, masterNets
// naming the hosts' NIC networks by their IPv6 prefixes) through the real Multus, 6 pods on 3 hosts. The hosts' NICs
// carry an IPv4 and an IPv6 address (fd10:10:<n>::<i>/64, added with nodad); discovery reports both and the NICs
// match masterNets by their IPv6 networks. Every pod gets one IPv6 address per NIC from its own host's /64, and every
// `ping -6` between pods on a NIC network is answered, the first one right after each pod's ADD too.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { Cluster, ROOT, type Pod } from '../src/cluster.js';
import { attachments, inCidr, pingMatrix } from '../src/survey.js';

const EXAMPLE = parseYaml(readFileSync(path.join(ROOT, 'examples/ipv6.yaml'), 'utf8')) as {
  metadata: { name: string };
  spec: Record<string, unknown> & { subnet: string; masterNets: string[] };
};
const NETWORK = EXAMPLE.metadata.name;

let cluster: Cluster | undefined;
const pods: Pod[] = [];
/** The first ping of each direction right after a pod's ADD (one attempt each, no retry). */
const firstPings: { pod: string; from: string; to: string; ok: boolean }[] = [];

function started(): Cluster {
  if (cluster === undefined) throw new Error('the cluster did not start (see beforeAll)');
  return cluster;
}

/** The pod's global IPv6 addresses on its secondary interfaces, without prefix. */
async function ipv6Of(c: Cluster, pod: Pod): Promise<string[]> {
  return (await c.podInterfaces(pod))
    .filter((i) => i.name !== 'eth0' && i.address.includes(':'))
    .map((i) => i.address.split('/')[0] ?? '');
}

/**
 * Right after `pod`'s ADD returned: it pings the first pod's address on its first NIC network once, and the first pod
 * pings it once. An address still tentative (duplicate address detection running) would fail either.
 */
async function pingRightAfterAdd(c: Cluster, pod: Pod): Promise<void> {
  const first = pods[0];
  if (first === undefined) return;
  const [mine, theirs] = [await ipv6Of(c, pod), await ipv6Of(c, first)];
  // The pod's interfaces are net1 (first NIC network) and net1-1 (second): the first of each is on fd00:30:0::/56.
  const to = theirs[0] ?? '?';
  const from = mine[0] ?? '?';
  firstPings.push({ pod: pod.name, from: pod.name, to, ok: await c.ping(pod, to, 1) });
  firstPings.push({ pod: pod.name, from: first.name, to: from, ok: await c.ping(first, from, 1) });
}

beforeAll(async () => {
  cluster = await Cluster.start({ hosts: 3 });
  await cluster.applyNetwork({ metadata: { name: NETWORK }, spec: EXAMPLE.spec });
  for (let i = 0; i < 6; i++) {
    const host = cluster.hosts[i % cluster.hosts.length];
    if (host === undefined) throw new Error('no hosts');
    const pod = await cluster.createPod({ name: `pod-${i + 1}`, host, networks: JSON.stringify([{ name: NETWORK }]) });
    await pingRightAfterAdd(cluster, pod);
    pods.push(pod);
  }
}, 300_000);

afterAll(async () => {
  await cluster?.stopChecked();
}, 120_000);

interface HostInterfaceList {
  items: { metadata: { name: string }; spec: { interfaces: { interfaceName: string; addresses?: string[] }[] } }[];
}

describe('IPv6-only macvlan network (examples/ipv6.yaml), 6 pods over 3 hosts', () => {
  it('each HostInterface reports both addresses of every NIC (IPv4 and IPv6, no link-local)', async () => {
    const c = started();
    const list = (await c.kubeConfig.makeApiClient(CustomObjectsApi).listClusterCustomObject({
      group: 'multinic.dev',
      version: 'v1',
      plural: 'hostinterfaces',
    })) as HostInterfaceList;
    const reported = Object.fromEntries(
      list.items.map((h) => [h.metadata.name, h.spec.interfaces.map((n) => [n.interfaceName, n.addresses])]),
    );
    const want = Object.fromEntries(c.hosts.map((h) => [h.name, h.nics.map((n) => [n.name, [n.cidr, n.cidr6]])]));
    expect(reported).toEqual(want);
  });

  it("gives every pod one IPv6 address per NIC network from its own host's /64 of the NIC network's /56, and no IPv4", async () => {
    const c = started();
    const rows = await attachments(c, NETWORK, pods);
    const summary = pods.map((p) => {
      const mine = rows.filter((r) => r.pod === p.name);
      return {
        pod: p.name,
        nics: mine.map((r) => r.nic).sort(),
        nicNetworks: mine.map((r) => r.nicNetwork).sort(),
        poolHosts: [...new Set(mine.map((r) => r.pool?.spec.hostName))],
        prefixes: [
          ...new Set(
            mine.map((r) => `/${r.address.split('/')[1] ?? ''} in /${r.pool?.spec.podCIDR.split('/')[1] ?? ''}`),
          ),
        ],
        inSubnet: mine.every((r) => inCidr(r.address, EXAMPLE.spec.subnet)),
      };
    });
    expect(summary).toEqual(
      pods.map((p) => ({
        pod: p.name,
        nics: ['eth1', 'eth2'],
        nicNetworks: ['fd10:10:1::/64', 'fd10:10:2::/64'],
        poolHosts: [p.host.name],
        prefixes: ['/56 in /64'],
        inSubnet: true,
      })),
    );
    expect(new Set(rows.map((r) => r.address)).size).toBe(12);
    const ipv4 = (await Promise.all(pods.map((p) => c.podInterfaces(p)))).flat();
    expect(ipv4.filter((i) => i.name !== 'eth0' && !i.address.includes(':'))).toEqual([]);
  });

  it('answers the first ping right after each ADD, both ways (DAD does not hold the new address back)', () => {
    expect(firstPings).toHaveLength(10);
    expect(firstPings.filter((p) => !p.ok)).toEqual([]);
  });

  it('every pod reaches every other pod on both NIC networks with ping -6 (60/60)', async () => {
    const c = started();
    const rows = await attachments(c, NETWORK, pods);
    const pings = await pingMatrix(c, rows);
    expect(pings).toHaveLength(60);
    expect(pings.filter((p) => p.family !== 6)).toEqual([]);
    expect(pings.filter((p) => !p.ok)).toEqual([]);
  });

  it("the IPPools' status holds exactly the pods' addresses", async () => {
    const c = started();
    const rows = await attachments(c, NETWORK, pods);
    const held = (await c.ippools(NETWORK))
      .flatMap((p) => (p.status?.allocations ?? []).map((a) => `${a.address} ${a.podUID}`))
      .sort();
    const want = rows.map((r) => `${r.address.split('/')[0] ?? ''} ${c.pods.get(r.pod)?.uid ?? '?'}`).sort();
    expect(held).toEqual(want);
  });
});
