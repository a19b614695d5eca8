// examples/host-device.yaml (host-subnet mode, host-device: each pod takes a whole host NIC) on 2 hosts with two
// spare NICs each (eth3, eth4 on 10.10.3.0/24, the demo's topology). host-device moves each NIC into its pod's
// network namespace; the agents keep reporting those NICs as lent (last-known addressing, `lentTo`), so after the
// pods are up the network's IPPools are still the very objects planned before them and hold exactly the pods'
// addresses (read live, not from an earlier snapshot), and a fifth pod gets "no free NIC" instead of a NIC in use.
// Then the pods are deleted (CNI DEL through the real Multus): Debian's host-device returns each NIC down and without
// its address, and the agents give it back (up, its address), so four new pods on the same hosts get the NICs again,
// addresses from the same IPPools, and every ping is answered.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { Cluster, ROOT, type IPPool, type Pod } from '../src/cluster.js';
import { ip, waitFor } from '../src/sh.js';
import { attachments, pingMatrix } from '../src/survey.js';
import { DEMO_NETWORKS } from '../src/topology.js';

const NET = 'multinic-hostdevice';
const LAN = '10.10.3.0/24';
let cluster: Cluster | undefined;
const pods: Pod[] = [];
let poolsBefore: IPPool[] = [];

function started(): Cluster {
  if (cluster === undefined) throw new Error('the cluster did not start (see beforeAll)');
  return cluster;
}

const uidOf = (p: IPPool): string => (p.metadata as { uid?: string }).uid ?? '';

/** pool → `ip podName` of each allocation in its status, sorted; the live IPPools of the network. */
async function poolHolders(c: Cluster): Promise<Record<string, string[]>> {
  const live = await c.ippools(NET);
  return Object.fromEntries(
    live.map((p) => [
      p.metadata.name,
      (p.status?.allocations ?? []).map((a) => `${a.address} ${(a as { podName?: string }).podName ?? '?'}`).sort(),
    ]),
  );
}

interface HostInterfaceList {
  items: {
    metadata: { name: string };
    spec: { interfaces: { interfaceName: string; hostIP: string; lentTo?: string }[] };
  }[];
}

/** host → `interfaceName hostIP lentTo|-` of each NIC its HostInterface lists. */
async function reported(c: Cluster): Promise<Record<string, string[]>> {
  const list = (await c.kubeConfig.makeApiClient(CustomObjectsApi).listClusterCustomObject({
    group: 'multinic.dev',
    version: 'v1',
    plural: 'hostinterfaces',
  })) as HostInterfaceList;
  return Object.fromEntries(
    list.items.map((h) => [
      h.metadata.name,
      h.spec.interfaces.map((n) => `${n.interfaceName} ${n.hostIP} ${n.lentTo ?? '-'}`),
    ]),
  );
}

/** `host nic UP|DOWN address/len…` of each host NIC on the device network, as its host namespace shows it. */
async function deviceNics(c: Cluster): Promise<string[]> {
  const out: string[] = [];
  for (const h of c.hosts)
    for (const n of h.nics.filter((x) => x.network === LAN)) {
      const [link] = JSON.parse(await ip(['-n', h.ns, '-j', 'addr', 'show', 'dev', n.name]).catch(() => '[]')) as {
        flags: string[];
        addr_info?: { family: string; local: string; prefixlen: number }[];
      }[];
      const v4 = (link?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
      out.push(
        [h.name, n.name, link === undefined ? 'absent' : link.flags.includes('UP') ? 'UP' : 'DOWN', ...v4].join(' '),
      );
    }
  return out;
}

async function waitEqual<T>(what: string, read: () => Promise<T>, want: T): Promise<void> {
  await waitFor(
    what,
    async () => (JSON.stringify(await read()) === JSON.stringify(want) ? true : undefined),
    30_000,
  ).catch(async (err: unknown) => {
    expect(await read()).toEqual(want);
    throw err;
  });
}

beforeAll(async () => {
  cluster = await Cluster.start({ hosts: 2, networks: DEMO_NETWORKS });
  const c = cluster;
  const doc = parseYaml(readFileSync(path.join(ROOT, 'examples/host-device.yaml'), 'utf8')) as {
    metadata: { name: string };
    spec: Record<string, unknown>;
  };
  expect([doc.metadata.name, doc.spec['masterNets']]).toEqual([NET, [LAN]]);
  await c.applyNetwork({ metadata: doc.metadata, spec: doc.spec });
  poolsBefore = await c.ippools(NET);
  for (let i = 0; i < 4; i++) {
    const host = c.hosts[i % c.hosts.length];
    if (host === undefined) throw new Error('no hosts');
    pods.push(await c.createPod({ name: `hd-${i + 1}`, host, networks: JSON.stringify([{ name: NET }]) }));
  }
}, 300_000);

afterAll(async () => {
  await cluster?.stopChecked();
}, 120_000);

describe('examples/host-device.yaml: 4 pods on 2 hosts, each holding a whole NIC', () => {
  it('after the pods are up, the IPPools are the ones planned before them and hold exactly the pods’ addresses', async () => {
    const c = started();
    expect(poolsBefore).toHaveLength(4);
    const rows = await attachments(c, NET, pods);
    // Every pod interface lies in a live IPPool's block: none of them was deleted under its pod.
    expect(rows.map((r) => [r.pod, r.pool?.metadata.name !== undefined])).toEqual(pods.map((p) => [p.name, true]));
    expect(new Set(rows.map((r) => `${r.host} ${r.nic ?? '?'}`)).size).toBe(4);
    const want = Object.fromEntries(
      poolsBefore.map((p) => [
        p.metadata.name,
        rows
          .filter((r) => r.pool?.metadata.name === p.metadata.name)
          .map((r) => `${r.address.split('/')[0] ?? ''} ${r.pod}`),
      ]),
    );
    // The agents mirror their allocations to the IPPool status within about a second.
    await waitFor(
      'the IPPool status to hold exactly the pods’ addresses',
      async () => (JSON.stringify(await poolHolders(c)) === JSON.stringify(want) ? true : undefined),
      30_000,
    ).catch(async (err: unknown) => {
      expect(await poolHolders(c)).toEqual(want);
      throw err;
    });
    const live = await c.ippools(NET);
    expect(live.map((p) => `${p.metadata.name} ${uidOf(p)}`).sort()).toEqual(
      poolsBefore.map((p) => `${p.metadata.name} ${uidOf(p)}`).sort(),
    );
  });

  it('each host reports both NICs as lent to the pod holding it, with their last-known addresses', async () => {
    const c = started();
    const rows = await attachments(c, NET, pods);
    const want = Object.fromEntries(
      c.hosts.map((h) => [
        h.name,
        h.nics.map((n) => {
          if (n.network !== LAN) return `${n.name} ${n.cidr.split('/')[0] ?? ''} -`;
          const holder = rows.find((r) => r.host === h.name && r.nic === n.name);
          return `${n.name} ${n.cidr.split('/')[0] ?? ''} default/${holder?.pod ?? '?'}`;
        }),
      ]),
    );
    await waitFor(
      'the HostInterfaces to list the lent NICs',
      async () => (JSON.stringify(await reported(c)) === JSON.stringify(want) ? true : undefined),
      30_000,
    ).catch(async (err: unknown) => {
      expect(await reported(c)).toEqual(want);
      throw err;
    });
  });

  it('a fifth pod on a host whose NICs are both lent gets a clear "no free NIC", not a NIC in use', async () => {
    const c = started();
    const host = c.hosts[0];
    if (host === undefined) throw new Error('no hosts');
    await expect(c.createPod({ name: 'hd-5', host, networks: JSON.stringify([{ name: NET }]) })).rejects.toThrow(
      /no free NIC for network multinic-hostdevice on this node: eth3 lent to pod default\/hd-\d .*; eth4 lent to pod default\/hd-\d/,
    );
    expect(Object.values(await poolHolders(c)).flat()).toHaveLength(4);
  });
});

describe('deleted host-device pods give their NICs back: the next pods get them again', () => {
  const again: Pod[] = [];

  it('after CNI DEL through the real Multus, each NIC is back up with its own address, a plain NIC, its IPPool kept', async () => {
    const c = started();
    for (const pod of pods) await c.deletePod(pod);
    // host-device returns a NIC down and without its address; the agent brings it up and re-adds the address.
    const upAgain = c.hosts.flatMap((h) =>
      h.nics.filter((n) => n.network === LAN).map((n) => `${h.name} ${n.name} UP ${n.cidr}`),
    );
    await waitEqual('the agents to give the NICs back (up, addressed)', () => deviceNics(c), upAgain);
    const plain = Object.fromEntries(
      c.hosts.map((h) => [h.name, h.nics.map((n) => `${n.name} ${n.cidr.split('/')[0] ?? ''} -`)]),
    );
    await waitEqual('the HostInterfaces to list every NIC as a plain NIC', () => reported(c), plain);
    // The agents did it (not the kernel, not the test): one NicReturned Event per NIC on its node's HostInterface.
    const events = await c.kubeConfig.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: 'default' });
    const returned = events.items
      .filter((e) => e.reason === 'NicReturned' && e.involvedObject.kind === 'HostInterface')
      .map(
        (e) =>
          `${e.involvedObject.name ?? '?'} ${/^NIC (\S+) came back from pod default\/hd-\d/.exec(e.message ?? '')?.[1] ?? e.message ?? ''}`,
      )
      .sort();
    expect(returned).toEqual(upAgain.map((line) => line.split(' ').slice(0, 2).join(' ')).sort());
    const empty = Object.fromEntries(poolsBefore.map((p) => [p.metadata.name, [] as string[]]));
    await waitEqual('the IPPools to hold nothing', () => poolHolders(c), empty);
    const live = await c.ippools(NET);
    expect(live.map((p) => `${p.metadata.name} ${uidOf(p)}`).sort()).toEqual(
      poolsBefore.map((p) => `${p.metadata.name} ${uidOf(p)}`).sort(),
    );
  });

  it('four new pods on the same hosts get the NICs again, addresses from the same IPPools, all pings answered', async () => {
    const c = started();
    for (let i = 0; i < 4; i++) {
      const host = c.hosts[i % c.hosts.length];
      if (host === undefined) throw new Error('no hosts');
      again.push(await c.createPod({ name: `hd-again-${i + 1}`, host, networks: JSON.stringify([{ name: NET }]) }));
    }
    const rows = await attachments(c, NET, again);
    const planned = new Set(poolsBefore.map((p) => p.metadata.name));
    expect(rows.map((r) => [r.pod, planned.has(r.pool?.metadata.name ?? '')])).toEqual(
      again.map((p) => [p.name, true]),
    );
    expect(new Set(rows.map((r) => `${r.host} ${r.nic ?? '?'}`)).size).toBe(4);
    const pings = await pingMatrix(c, rows);
    expect(pings).toHaveLength(4 * 3);
    expect(pings.filter((p) => !p.ok)).toEqual([]);
  });
});
