// Scenario 2 of issue 9: an L3 network (the ipvlan-l3 example; this kernel has no ipvlan, so each "pod" is a veth
// into a namespace, as ptp would make it). A pod on host-1 reaches a pod on host-2 only through the routes the
// agents program from the plan; deleting the network removes them and the pods no longer reach each other.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { Cluster, ROOT, type Host } from '../src/cluster.js';
import { TOPOLOGY_NETS, type NetworkManifest } from '../src/network.js';
import { ip, run, waitFor } from '../src/sh.js';

const NETWORK = 'multinic-ipvlanl3';
let cluster: Cluster | undefined;

function started(): Cluster {
  if (cluster === undefined) throw new Error('the cluster did not start (see beforeAll)');
  return cluster;
}

function host(i: number): Host {
  const h = started().hosts[i];
  if (h === undefined) throw new Error(`no host ${i}`);
  return h;
}

/** The n-th address of an IPv4 block. */
function nth(cidr: string, n: number): string {
  const base = (cidr.split('/')[0] ?? '').split('.').reduce((a, o) => a * 256 + Number(o), 0) + n;
  return [24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join('.');
}

interface StandIn {
  readonly ns: string;
  readonly address: string;
}

/** A "pod" of the L3 network on `h`: a veth into a namespace, its address routed on the host as ptp does it. */
async function standInPod(h: Host, name: string, address: string): Promise<StandIn> {
  const c = started();
  const ns = await c.addNetns(`mn-e2e-p-${name}-${c.id}`);
  await ip(['-n', h.ns, 'link', 'add', `v-${name}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  await ip(['-n', h.ns, 'addr', 'add', '169.254.1.1/32', 'dev', `v-${name}`]);
  await ip(['-n', h.ns, 'link', 'set', `v-${name}`, 'up']);
  await ip(['-n', h.ns, 'route', 'add', `${address}/32`, 'dev', `v-${name}`]);
  await ip(['-n', ns, 'addr', 'add', `${address}/32`, 'dev', 'eth0']);
  await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
  await ip(['-n', ns, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link']);
  await ip(['-n', ns, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0']);
  await run('ip', [
    'netns',
    'exec',
    h.ns,
    'sysctl',
    '-qw',
    'net.ipv4.ip_forward=1',
    `net.ipv4.conf.v-${name}.proxy_arp=1`,
  ]);
  return { ns, address };
}

const ping = (from: StandIn, to: StandIn): Promise<boolean> => started().ping(from, to.address);

/** Every route of every table in the host's namespace, as `dst via gateway dev table`. */
async function routes(h: Host): Promise<string[]> {
  const out = JSON.parse(await ip(['-n', h.ns, '-j', 'route', 'show', 'table', 'all'])) as {
    dst: string;
    gateway?: string;
    dev?: string;
    table?: string;
  }[];
  return out.filter((r) => r.gateway !== undefined).map((r) => `${r.dst} via ${r.gateway ?? ''} dev ${r.dev ?? ''}`);
}

let podCidr: Record<string, string> = {};

beforeAll(async () => {
  cluster = await Cluster.start({ hosts: 2 });
  const doc = parseYaml(readFileSync(path.join(ROOT, 'examples/ipvlan-l3.yaml'), 'utf8')) as NetworkManifest;
  await cluster.applyNetwork({
    metadata: { name: doc.metadata.name },
    spec: { ...doc.spec, masterNets: [...TOPOLOGY_NETS] },
  });
  const pools = await cluster.ippools(NETWORK);
  podCidr = Object.fromEntries(pools.map((p) => [`${p.spec.hostName}/${p.spec.interfaceName}`, p.spec.podCIDR]));
}, 300_000);

afterAll(async () => {
  // The pool-consistency check of issue 23: no address held twice on one NIC network, whatever the tests did.
  await cluster?.stopChecked();
}, 120_000);

describe('L3 network: routes between hosts', () => {
  const plannedRoute = (to: Host, via: Host): string =>
    `${podCidr[`${to.name}/eth1`] ?? '?'} via ${via.nics[0]?.cidr.split('/')[0] ?? '?'} dev eth1`;

  it("each agent routes the peer's pod blocks via the peer's address on the same NIC network", async () => {
    const [a, b] = [host(0), host(1)];
    await waitFor(
      'the planned routes on both hosts',
      async () =>
        (await routes(a)).includes(plannedRoute(b, b)) && (await routes(b)).includes(plannedRoute(a, a))
          ? true
          : undefined,
      60_000,
    ).catch(() => undefined);
    expect({
      a: (await routes(a)).filter((r) => r.endsWith('dev eth1')),
      b: (await routes(b)).filter((r) => r.endsWith('dev eth1')),
    }).toEqual({ a: [plannedRoute(b, b)], b: [plannedRoute(a, a)] });
  });

  it('a pod on host-1 reaches a pod on host-2 through those routes, and no longer once the network is deleted', async () => {
    const [a, b] = [host(0), host(1)];
    const podA = await standInPod(a, 'l3a', nth(podCidr[`${a.name}/eth1`] ?? '', 5));
    const podB = await standInPod(b, 'l3b', nth(podCidr[`${b.name}/eth1`] ?? '', 5));
    expect(await ping(podA, podB)).toBe(true);
    await started()
      .kubeConfig.makeApiClient(CustomObjectsApi)
      .deleteClusterCustomObject({ group: 'multinic.dev', version: 'v1', plural: 'multinicnetworks', name: NETWORK });
    await waitFor(
      'the routes to go',
      async () =>
        (await routes(a)).some((r) => r.endsWith('dev eth1')) || (await routes(b)).some((r) => r.endsWith('dev eth1'))
          ? undefined
          : true,
      60_000,
    ).catch(() => undefined);
    expect({
      a: (await routes(a)).filter((r) => r.endsWith('dev eth1')),
      b: (await routes(b)).filter((r) => r.endsWith('dev eth1')),
    }).toEqual({ a: [], b: [] });
    expect(await ping(podA, podB)).toBe(false);
  });
});
