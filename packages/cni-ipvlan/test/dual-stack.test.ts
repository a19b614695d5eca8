// A dual-stack 2-NIC macvlan pod through the built multi-nic executable, the REAL node agent (in-process, on a real
// kube-apiserver) and Debian's reference macvlan/static plugins (ADR 0006 decisions 5 and 6). IPPools of both
// families are written by hand, as the controller will. Two pods on the node ping each other over both NICs and both
// families right after their ADDs (the DAD claim of decision 6), CHECK verifies both families, DEL removes both
// families' rules. Needs root and the testenv binaries.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { HOST_LABEL, NETWORK_LABEL, type CniResult, type MultiNicNetwork } from '@multinic/crd-types';
import type { TestEnv } from '@multinic/testenv';
import { AgentLab, nodeNics } from './agent-lab.js';
import { addresses, ip, sh } from './lab.js';

const NODE = 'node-ds';
const GROUP = { group: 'multinic.dev', version: 'v1' };
const lab = new AgentLab({ tag: 'ds', node: NODE });
const cni = lab.cni.bind(lab);

function network(name: string): MultiNicNetwork {
  return {
    apiVersion: 'multinic.dev/v1',
    kind: 'MultiNicNetwork',
    metadata: { name },
    spec: {
      subnet: '192.168.0.0/16',
      masterNets: ['10.30.1.0/24', '10.30.2.0/24'],
      multiNICIPAM: true,
      ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2, vlanMode: 'l2' },
      plugin: { cniVersion: '1.0.0', type: 'macvlan', args: { mode: 'bridge' } },
    },
  };
}

/**
 * Two dual-stack networks on the same NICs: one whose IPPools carry the pods' gateway (host-subnet mode, a
 * discovered gateway) and one without (the plain subnet mode). The reference IPAM waits for DAD only when an IPv6
 * gateway is configured (containernetworking/plugins' ConfigureIface settles addresses then), so the second is the
 * case multi-nic must settle itself.
 */
const NETWORKS = [
  { name: 'mn-dual-gw', gateways: true, base: 0 },
  { name: 'mn-dual', gateways: false, base: 64 },
] as const;

interface PoolFixture {
  readonly name: string;
  readonly network: string;
  readonly nic: string;
  readonly pod: string;
  readonly vlan: string;
  readonly gw?: string;
}

// One pool per (network, NIC, family); a gateway is excluded from its pool (as the controller does).
const POOLS: readonly PoolFixture[] = NETWORKS.flatMap(({ name, gateways, base }) =>
  [1, 2].flatMap((n) => [
    {
      name: `${name}-eth${n}-v4`,
      network: name,
      nic: `eth${n}`,
      pod: `192.168.${n}.${base}/26`,
      vlan: `192.168.${n}.0/24`,
      ...(gateways ? { gw: `192.168.${n}.1` } : {}),
    },
    {
      name: `${name}-eth${n}-v6`,
      network: name,
      nic: `eth${n}`,
      pod: base === 0 ? `fd00:30:${n}::/120` : `fd00:30:${n}::100/120`,
      vlan: `fd00:30:${n}::/64`,
      ...(gateways ? { gw: `fd00:30:${n}::1` } : {}),
    },
  ]),
);

function nad(name: string): Record<string, unknown> {
  return lab.nad(network(name));
}

async function createObjects(kc: TestEnv['kubeConfig']): Promise<void> {
  const api = kc.makeApiClient(CustomObjectsApi);
  for (const n of NETWORKS)
    await api.createClusterCustomObject({ ...GROUP, plural: 'multinicnetworks', body: network(n.name) });
  for (const p of POOLS) {
    await api.createClusterCustomObject({
      ...GROUP,
      plural: 'ippools',
      body: {
        apiVersion: 'multinic.dev/v1',
        kind: 'IPPool',
        metadata: { name: p.name, labels: { [HOST_LABEL]: NODE, [NETWORK_LABEL]: p.network } },
        spec: {
          network: p.network,
          hostName: NODE,
          interfaceName: p.nic,
          podCIDR: p.pod,
          vlanCIDR: p.vlan,
          ...(p.gw === undefined
            ? { excludes: [] }
            : { excludes: [`${p.gw}/${p.gw.includes(':') ? 128 : 32}`], gateway: p.gw }),
        },
      },
    });
  }
}

/** `ip -j rule show` of one family in a namespace: the `from` of every rule with a source, and its table. */
function rules(ns: string, family: '-4' | '-6'): string[] {
  const list = JSON.parse(ip('-n', ns, family, '-N', '-j', 'rule', 'show')) as {
    src?: string;
    srclen?: number;
    table?: string;
  }[];
  return list
    .filter((r) => r.src !== undefined && r.src !== 'all')
    .map((r) => `${r.src}/${r.srclen ?? (family === '-6' ? 128 : 32)} ${r.table}`);
}

/** One ping, at once, with a 2 s wait: the first packet after ADD must be answered (no waiting for DAD). */
function pingOnce(
  ns: string,
  family: '-4' | '-6',
  target: string,
  source: string,
): { status: number | null; out: string } {
  const r = sh('ip', ['netns', 'exec', ns, 'ping', family, '-c', '1', '-W', '2', '-I', source, target]);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

beforeAll(async () => {
  await lab.start({
    nics: nodeNics('10.30', (n) => [`fd00:31:${n}::2/64`]),
    objects: createObjects,
    routes: { enabled: false },
    statusStdin: { ...nad(NETWORKS[1].name), cniVersion: '1.1.0' },
    ready: () => expect(lab.agent.store.pools()).toHaveLength(POOLS.length),
  });
}, 180_000);

afterAll(() => lab.stop(), 60_000);

function ipsByInterface(result: CniResult): string[] {
  return (result.ips ?? []).map((a) => `${result.interfaces?.[a.interface ?? -1]?.name ?? '?'} ${a.address}`);
}

describe('a dual-stack 2-NIC macvlan pod through multi-nic and the real agent', () => {
  it.each([
    {
      network: NETWORKS[0].name,
      case: 'pools with gateways',
      ips: ['net1 192.168.1.2/24', 'net1 fd00:30:1::2/64', 'net1-1 192.168.2.2/24', 'net1-1 fd00:30:2::2/64'],
    },
    {
      network: NETWORKS[1].name,
      case: 'pools without gateways',
      ips: ['net1 192.168.1.65/24', 'net1 fd00:30:1::101/64', 'net1-1 192.168.2.65/24', 'net1-1 fd00:30:2::101/64'],
    },
  ])(
    '$case: ADD gives each NIC both families; the pods answer pings of both families right after ADD; CHECK passes; DEL removes both families',
    async ({ network: net, ips }) => {
      const a = lab.newPod(`${net}-a`);
      const b = lab.newPod(`${net}-b`);
      const stdin = nad(net);
      const addA = await cni('ADD', { netns: a.path, stdin, containerId: 'pod-a' });
      expect(addA.stderr).toBe('');
      expect(addA.status).toBe(0);
      const addB = await cni('ADD', { netns: b.path, stdin, containerId: 'pod-b' });
      expect(addB.status).toBe(0);
      // Right after B's ADD returned: one ping per NIC and family, both directions, no retry.
      const resultA = addA.json as unknown as CniResult;
      const resultB = addB.json as unknown as CniResult;
      const pings: string[] = [];
      for (const [from, to, ns] of [
        [resultB, resultA, b.name],
        [resultA, resultB, a.name],
      ] as const) {
        for (const [i, target] of (to.ips ?? []).entries()) {
          const source = (from.ips ?? [])[i]?.address.split('/')[0] ?? '';
          const dst = target.address.split('/')[0] ?? '';
          const r = pingOnce(ns, dst.includes(':') ? '-6' : '-4', dst, source);
          pings.push(`${source} -> ${dst}: ${r.status === 0 ? 'answered' : r.out.trim()}`);
        }
      }
      expect(pings.filter((p) => !p.endsWith('answered'))).toEqual([]);
      expect(pings).toHaveLength(8);

      expect(ipsByInterface(resultA)).toEqual(ips);
      const host = (i: number) => ips[i]?.split(' ')[1]?.split('/')[0] ?? '';
      expect(addresses(a.name, 'net1')).toEqual(expect.arrayContaining([ips[0]?.split(' ')[1], ips[1]?.split(' ')[1]]));
      // A rule per address; a NIC's two rules select its one table.
      expect(rules(a.name, '-4')).toEqual([`${host(0)}/32 100`, `${host(2)}/32 101`]);
      expect(rules(a.name, '-6')).toEqual([`${host(1)}/128 100`, `${host(3)}/128 101`]);
      const table101 = ip('-n', a.name, '-6', 'route', 'show', 'table', '101');
      expect(table101).toMatch(new RegExp(`fd00:30:2::/64 dev net1-1 .*src ${host(3)}`));

      const prev = { ...stdin, prevResult: resultA };
      expect((await cni('CHECK', { netns: a.path, stdin: prev, containerId: 'pod-a' })).status).toBe(0);
      // CHECK covers the second family: without A's IPv6 rule of NIC 1 it fails, naming it.
      ip('-n', a.name, '-6', 'rule', 'del', 'from', `${host(3)}/128`);
      const broken = await cni('CHECK', { netns: a.path, stdin: prev, containerId: 'pod-a' });
      expect(broken.status).not.toBe(0);
      expect(JSON.stringify(broken.json)).toContain(`from ${host(3)}/128`);

      const del = await cni('DEL', { netns: a.path, stdin: prev, containerId: 'pod-a' });
      expect(del.status).toBe(0);
      expect(rules(a.name, '-4')).toEqual([]);
      expect(rules(a.name, '-6')).toEqual([]);
      expect(
        lab.agent.store
          .records()
          .map((r) => r.containerID)
          .filter((c) => c === 'pod-a'),
      ).toEqual([]);
      expect(
        (await cni('DEL', { netns: b.path, stdin: { ...stdin, prevResult: resultB }, containerId: 'pod-b' })).status,
      ).toBe(0);
      expect(rules(b.name, '-6')).toEqual([]);
      expect(lab.agent.store.records()).toEqual([]);
    },
    120_000,
  );
});
