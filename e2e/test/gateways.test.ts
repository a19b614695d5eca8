// Gateways and tables (issue 14 item 5) end to end, through the real Multus. Host-subnet mode: the agents discover
// each NIC network's gateway (the switch's address on its bridge), the controller writes it on the IPPools, and the
// agent returns it with every allocation. Two macvlan networks over two NIC networks each (four LANs, a gateway on
// each), each with a route without `gw` to a prefix the switch answers for (198.51.100.1 and 203.0.113.1 on its
// loopback). A pod attaches to both networks (two NADs): it gets ECMP over the gateways of each network, a
// policy-routing table per NIC — four distinct tables, where both attachments used to get 100 and 101 — and each of
// its four addresses leaves through its own NIC's gateway. Multus' DEL removes both attachments' rules. (Multus 4.3's
// CHECK runs only its own cluster-network delegates, never a pod's attachments, so `multi-nic` CHECK is tested in
// packages/cni-ipvlan against the real agent instead.)
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Cluster, type Pod } from '../src/cluster.js';
import { macvlanNetwork } from '../src/network.js';
import { ip, run, waitFor } from '../src/sh.js';
import { inCidr } from '../src/survey.js';

const LANS = ['10.10.1.0/24', '10.10.2.0/24', '10.10.3.0/24', '10.10.4.0/24'] as const;
const gatewayOf = (lan: string): string => lan.replace(/0\/24$/, '254');
/** Network → its NIC networks and the destination behind the gateways its route names (without `gw`). */
const NETWORKS = [
  { name: 'multinic-gw-a', lans: [LANS[0], LANS[1]], dst: '198.51.100.0/24', target: '198.51.100.1' },
  { name: 'multinic-gw-b', lans: [LANS[2], LANS[3]], dst: '203.0.113.0/24', target: '203.0.113.1' },
] as const;

let cluster: Cluster | undefined;
const pods: Pod[] = [];

function started(): Cluster {
  if (cluster === undefined) throw new Error('the cluster did not start (see beforeAll)');
  return cluster;
}

interface Rule {
  priority: number;
  src?: string;
  table?: string;
}

interface Route {
  dst?: string;
  gateway?: string;
  dev?: string;
  table?: string;
  nexthops?: { gateway?: string; dev?: string }[];
}

async function ipJson<T>(pod: Pod, args: readonly string[]): Promise<T[]> {
  return JSON.parse(await ip(['-n', pod.ns, '-N', '-j', ...args])) as T[];
}

/** The pod's multinic addresses (LAN → pod interface and address), from inside its namespace. */
async function podAddresses(pod: Pod): Promise<{ lan: string; ifname: string; address: string }[]> {
  const rows = await started().podInterfaces(pod);
  return rows.flatMap((r) => {
    const address = r.address.split('/')[0] ?? '';
    const lan = LANS.find((l) => inCidr(address, l));
    return lan === undefined ? [] : [{ lan, ifname: r.name, address }];
  });
}

beforeAll(async () => {
  cluster = await Cluster.start({
    hosts: 2,
    networks: LANS.map((cidr) => ({ cidr, gateway: `${gatewayOf(cidr)}/24` })),
  });
  const c = cluster;
  // A route through the gateway on each NIC (TEST-NET, inside the test's namespaces): what the agents discover.
  for (const host of c.hosts)
    for (const [i, nic] of host.nics.entries())
      await ip(['-n', host.ns, 'route', 'add', `198.18.${i + 1}.0/24`, 'via', gatewayOf(nic.network), 'dev', nic.name]);
  for (const n of NETWORKS) await ip(['-n', c.switchNs, 'addr', 'add', `${n.target}/32`, 'dev', 'lo']);
  await ip(['-n', c.switchNs, 'link', 'set', 'lo', 'up']);
  for (const n of NETWORKS) {
    const macvlan = macvlanNetwork(n.lans);
    await c.applyNetwork({
      metadata: { name: n.name },
      spec: { ...macvlan.spec, subnet: '', ipam: { type: 'multi-nic-ipam', vlanMode: 'l2', routes: [{ dst: n.dst }] } },
    });
  }
  await waitFor(
    'every IPPool to carry its NIC network gateway',
    async () => {
      for (const n of NETWORKS) {
        const pools = await c.ippools(n.name);
        if (pools.length !== c.hosts.length * 2) return undefined;
        if (pools.some((p) => (p.spec as { gateway?: string }).gateway !== gatewayOf(p.spec.vlanCIDR ?? '')))
          return undefined;
      }
      return true;
    },
    90_000,
  );
  const networks = JSON.stringify(NETWORKS.map((n) => ({ name: n.name })));
  for (const [i, host] of c.hosts.entries()) pods.push(await c.createPod({ name: `gw-${i + 1}`, host, networks }));
}, 300_000);

afterAll(async () => {
  await cluster?.stopChecked();
}, 120_000);

describe('two multinic attachments of one pod, each network with a gateway per NIC network', () => {
  it('each of the four pod addresses has its own source rule and table: 100-103, never shared between the attachments', async () => {
    for (const pod of pods) {
      const addresses = await podAddresses(pod);
      expect(addresses.map((a) => a.lan).sort()).toEqual([...LANS]);
      const rules = (await ipJson<Rule>(pod, ['-4', 'rule', 'show'])).filter((r) =>
        addresses.some((a) => a.address === r.src),
      );
      expect({ pod: pod.name, rules: rules.length }).toEqual({ pod: pod.name, rules: 4 });
      expect(rules.map((r) => r.table).sort()).toEqual(['100', '101', '102', '103']);
      expect(rules.map((r) => r.priority).sort()).toEqual([1000, 1001, 1002, 1003]);
    }
  });

  it("each address leaves through its own NIC's gateway, from its own table, and reaches the target behind it", async () => {
    for (const pod of pods) {
      for (const a of await podAddresses(pod)) {
        const net = NETWORKS.find((n) => (n.lans as readonly string[]).includes(a.lan));
        if (net === undefined) throw new Error(`no network for ${a.lan}`);
        const [route] = await ipJson<Route>(pod, ['route', 'get', net.target, 'from', a.address]);
        expect({ pod: pod.name, address: a.address, gateway: route?.gateway, dev: route?.dev }).toEqual({
          pod: pod.name,
          address: a.address,
          gateway: gatewayOf(a.lan),
          dev: a.ifname,
        });
        const ping = await run('ip', [
          'netns',
          'exec',
          pod.ns,
          'ping',
          '-n',
          '-q',
          '-c1',
          '-W2',
          '-I',
          a.address,
          net.target,
        ]);
        expect({ pod: pod.name, from: a.address, to: net.target, code: ping.code }).toEqual({
          pod: pod.name,
          from: a.address,
          to: net.target,
          code: 0,
        });
      }
    }
  });

  it("each network's route without gw is one multipath route over its two NICs' gateways (ECMP)", async () => {
    for (const pod of pods) {
      const addresses = await podAddresses(pod);
      for (const n of NETWORKS) {
        const [route] = await ipJson<Route>(pod, ['-4', 'route', 'show', n.dst]);
        const hops = (route?.nexthops ?? []).map((h) => `${h.gateway ?? ''} ${h.dev ?? ''}`).sort();
        const want = n.lans
          .map((lan) => `${gatewayOf(lan)} ${addresses.find((a) => a.lan === lan)?.ifname ?? '?'}`)
          .sort();
        expect({ pod: pod.name, dst: n.dst, hops }).toEqual({ pod: pod.name, dst: n.dst, hops: want });
      }
    }
  });

  it("Multus' DEL removes both attachments' source rules and interfaces; a second DEL is fine", async () => {
    const c = started();
    const pod = pods[1];
    if (pod === undefined) throw new Error('no second pod');
    const addresses = await podAddresses(pod);
    const del = await c.multus(pod, 'DEL');
    expect({ code: del.code, out: del.stdout.trim() }).toEqual({ code: 0, out: '' });
    const left = (await ipJson<Rule>(pod, ['-4', 'rule', 'show'])).filter((r) =>
      addresses.some((a) => a.address === r.src),
    );
    expect(left).toEqual([]);
    expect(await podAddresses(pod)).toEqual([]);
    await c.deletePod(pod);
    pods.splice(1, 1);
    // The other pod keeps its four rules.
    const [other] = pods;
    if (other === undefined) throw new Error('no first pod');
    const kept = (await ipJson<Rule>(other, ['-4', 'rule', 'show'])).filter(
      (r) => r.src?.startsWith('10.10.') === true,
    );
    expect(kept).toHaveLength(4);
  });
});
