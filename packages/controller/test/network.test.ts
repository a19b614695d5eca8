// The controller against a real control plane: from a MultiNicNetwork and HostInterfaces to the CIDR, IPPools and
// NetworkAttachmentDefinitions that cidr-core and netconf compute, through node, NIC and namespace changes, a
// restart, spec problems and deletion. The steps build on each other, in order.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { computePlan, type NetworkPlan, type PlanHost } from '@multinic/cidr-core';
import { MultiNicNetworkSchema, planConfigOf, type MultiNicNetwork } from '@multinic/crd-types';
import { buildNetworkAttachmentDefinitions, checkNetworkSpec } from '@multinic/netconf';
import type { TestEnv } from '@multinic/testenv';
import type { Controller } from '../src/index.js';
import { planHostOf } from '../src/index.js';
import type { KubeObject } from '../src/objects.js';
import {
  addHost,
  conditionOf,
  eventually,
  network,
  RESOURCES,
  settled,
  startController,
  startEnv,
  twoNics,
  versions,
  type Api,
} from './harness.js';

const NET = 'net-a';
let env: TestEnv;
let api: Api;
let controller: Controller;

beforeAll(async () => {
  ({ env, api } = await startEnv());
  for (const name of ['team-a', 'team-b', 'team-c'])
    await api.create(RESOURCES.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  for (const i of [1, 2, 3]) await addHost(api, `node-${i}`, twoNics(i));
  controller = await startController(env, { leaderElect: false });
});

afterAll(async () => {
  await controller?.stop();
  await env?.stop();
});

async function readNetwork(name = NET): Promise<KubeObject> {
  const net = await api.get(RESOURCES.networks, name);
  if (net === undefined) throw new Error(`network ${name} not found`);
  return net;
}

async function cidrSpec(name = NET): Promise<NetworkPlan> {
  const cidr = await api.get(RESOURCES.cidrs, name);
  if (cidr === undefined) throw new Error(`CIDR ${name} not found`);
  return cidr.spec as NetworkPlan;
}

/** host/interface → host index, over the whole plan. */
function indexes(plan: NetworkPlan): Record<string, number> {
  return Object.fromEntries(
    plan.cidr.flatMap((e) => e.hosts.map((h) => [`${e.netAddress} ${h.hostName}/${h.interfaceName}`, h.hostIndex])),
  );
}

async function pools(name = NET): Promise<KubeObject[]> {
  return (await api.list(RESOURCES.ippools)).filter((p) => (p.spec as { network: string }).network === name);
}

async function liveHosts(): Promise<PlanHost[]> {
  const nodes = new Set((await api.list(RESOURCES.nodes)).map((n) => n.metadata.name));
  return (await api.list(RESOURCES.hostInterfaces)).filter((h) => nodes.has(h.metadata.name)).map(planHostOf);
}

/** The CIDR and IPPools equal what computePlan says for the live hosts with `previous` as the plan in force. */
async function expectPlanWritten(previous: NetworkPlan | undefined): Promise<NetworkPlan> {
  const net = MultiNicNetworkSchema.parse(await readNetwork()) as MultiNicNetwork;
  const expected = computePlan({
    networkName: NET,
    config: planConfigOf(net),
    hosts: await liveHosts(),
    ...(previous ? { previous } : {}),
  });
  expect(expected.problems).toEqual([]);
  await eventually(async () => expect(await cidrSpec()).toEqual(expected.plan));
  await eventually(async () => {
    const specs = (await pools()).map((p) => p.spec).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    const want = expected.ippools
      .map((p) => ({
        network: NET,
        hostName: p.hostName,
        interfaceName: p.interfaceName,
        podCIDR: p.podCIDR,
        vlanCIDR: p.vlanCIDR,
        excludes: p.excludes,
      }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(specs).toEqual(want);
  });
  return expected.plan;
}

async function nadNamespaces(name = NET): Promise<string[]> {
  return (await api.list(RESOURCES.nads, { labelSelector: `multinic.dev/network=${name}` }))
    .map((n) => n.metadata.namespace ?? '')
    .sort();
}

async function events(name: string, reason: string): Promise<KubeObject[]> {
  const all = await api.list(RESOURCES.events, { namespace: 'default' });
  return all.filter(
    (e) =>
      (e as unknown as { involvedObject: { name: string }; reason: string }).involvedObject.name === name &&
      (e as unknown as { reason: string }).reason === reason,
  );
}

function allocation(address: string) {
  return {
    address,
    containerID: 'c0ffee',
    interface: 'net1',
    podName: 'busy',
    podNamespace: 'team-a',
    podUID: 'uid-1',
  };
}

describe('multinic-controller', () => {
  let plan: NetworkPlan;

  it('writes the CIDR, IPPools and NADs that computePlan and netconf give for three hosts, and reports Ready', async () => {
    await api.create(RESOURCES.networks, network(NET, { namespaces: ['team-a', 'team-b'] }));
    plan = await expectPlanWritten(undefined);
    expect(plan.cidr.map((e) => [e.netAddress, e.vlanCIDR, e.hosts.length])).toEqual([
      ['10.0.1.0/24', '192.168.0.0/18', 3],
      ['10.0.2.0/24', '192.168.64.0/18', 3],
    ]);
    const net = await readNetwork();
    const expectedNads = buildNetworkAttachmentDefinitions(MultiNicNetworkSchema.parse(net) as MultiNicNetwork, {});
    if (!expectedNads.ok) throw new Error(expectedNads.error);
    await eventually(async () => {
      const nads = await api.list(RESOURCES.nads, { labelSelector: `multinic.dev/network=${NET}` });
      expect(nads.map((n) => [n.metadata.namespace, n.spec]).sort()).toEqual(
        expectedNads.value.map((n) => [n.metadata.namespace, n.spec]).sort(),
      );
    });
    const owned = [
      await api.get(RESOURCES.cidrs, NET),
      ...(await pools()),
      ...(await api.list(RESOURCES.nads, { labelSelector: `multinic.dev/network=${NET}` })),
    ];
    for (const obj of owned) {
      expect(obj?.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'multinic.dev/v1',
          kind: 'MultiNicNetwork',
          name: NET,
          uid: net.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
    const pool = (await pools()).find((p) => (p.spec as { hostName: string }).hostName === 'node-2');
    expect(pool?.metadata.labels).toMatchObject({ 'multinic.dev/network': NET, 'multinic.dev/host': 'node-2' });
    await eventually(async () => {
      const status = (await readNetwork()).status as { observedGeneration: number; interfaces: unknown[] };
      expect(conditionOf(await readNetwork(), 'Ready')).toMatchObject({ status: 'True', reason: 'AttachmentsReady' });
      expect(conditionOf(await readNetwork(), 'Degraded')).toMatchObject({ status: 'False' });
      expect(status.observedGeneration).toBe(net.metadata.generation);
      expect(status.interfaces).toEqual([
        { netAddress: '10.0.1.0/24', interfaceIndex: 0, vlanCIDR: '192.168.0.0/18', numOfHosts: 3 },
        { netAddress: '10.0.2.0/24', interfaceIndex: 1, vlanCIDR: '192.168.64.0/18', numOfHosts: 3 },
      ]);
    });
  });

  it('aggregates the route status the node agents report on their HostInterfaces', async () => {
    const report = (host: string, status: string, message?: string) =>
      api.patch(
        RESOURCES.hostInterfaces,
        { name: host, status: true },
        { status: { routes: [{ network: NET, status, table: 1000, ...(message ? { message } : {}) }] } },
      );
    const routes = async () => ((await readNetwork()).status as { routes: unknown }).routes;
    await eventually(async () => expect(await routes()).toEqual({ status: 'WaitForRoutes', appliedHosts: 0 }));
    await report('node-1', 'Success');
    await report('node-2', 'Failed', 'RTNETLINK answers: Network is unreachable');
    await eventually(async () =>
      expect(await routes()).toEqual({
        status: 'Failed',
        appliedHosts: 1,
        failedHosts: ['node-2'],
        message: 'node-2: RTNETLINK answers: Network is unreachable',
      }),
    );
    expect(conditionOf(await readNetwork(), 'RoutesApplied')).toMatchObject({
      status: 'False',
      reason: 'RoutesFailed',
    });
    await report('node-2', 'Success');
    await report('node-3', 'Success');
    await eventually(async () => expect(await routes()).toEqual({ status: 'Success', appliedHosts: 3 }));
    expect(conditionOf(await readNetwork(), 'RoutesApplied')).toMatchObject({
      status: 'True',
      reason: 'RoutesApplied',
    });
  });

  it('a fourth node gets the next host index and nobody moves', async () => {
    const before = indexes(plan);
    await addHost(api, 'node-4', twoNics(4).slice(0, 1));
    plan = await expectPlanWritten(plan);
    const after = indexes(plan);
    expect(after).toMatchObject(before);
    expect(after['10.0.1.0/24 node-4/eth1']).toBe(3);
    expect(after['10.0.2.0/24 node-4/eth2']).toBeUndefined();
  });

  it('a NIC added to a host adds only that host’s entry, and removing it removes only that entry', async () => {
    await settled(controller);
    const before = await versions(api);
    await api.patch(RESOURCES.hostInterfaces, { name: 'node-4' }, { spec: { interfaces: twoNics(4) } });
    plan = await expectPlanWritten(plan);
    expect(indexes(plan)['10.0.2.0/24 node-4/eth2']).toBe(3);
    await settled(controller);
    const after = await versions(api);
    const changedPools = Object.keys(after).filter((k) => k.startsWith('ippools/') && after[k] !== before[k]);
    expect(changedPools).toEqual(['ippools//net-a-192.168.67.0-24']);

    await api.patch(RESOURCES.hostInterfaces, { name: 'node-4' }, { spec: { interfaces: twoNics(4).slice(0, 1) } });
    plan = await expectPlanWritten(plan);
    expect(indexes(plan)['10.0.2.0/24 node-4/eth2']).toBeUndefined();
    expect(indexes(plan)['10.0.1.0/24 node-4/eth1']).toBe(3);
  });

  it('a node that leaves while its pools hold allocations keeps their blocks until they are empty or the grace period ends', async () => {
    const [eth1, eth2] = (await pools())
      .filter((p) => (p.spec as { hostName: string }).hostName === 'node-2')
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)) as [KubeObject, KubeObject];
    for (const pool of [eth1, eth2]) {
      const address = (pool.spec as { podCIDR: string }).podCIDR.replace(/0\/24$/, '10');
      await api.patch(
        RESOURCES.ippools,
        { name: pool.metadata.name, status: true },
        { status: { allocations: [allocation(address)] } },
      );
    }
    await settled(controller);
    const before = indexes(plan);
    await api.remove(RESOURCES.nodes, 'node-2');
    await eventually(async () => expect(await events(NET, 'HostDeparted')).toHaveLength(1));
    await eventually(async () =>
      expect(
        (await api.get(RESOURCES.ippools, eth2.metadata.name))?.metadata.annotations?.['multinic.dev/departed-at'],
      ).toBeDefined(),
    );
    await settled(controller);
    expect(indexes(await cidrSpec())).toEqual(before);
    expect(conditionOf(await readNetwork(), 'PlanComputed')?.message).toMatch(
      /keeping the blocks of 2 NICs of departed hosts/,
    );

    // The agent releases the last address of eth1: that block is freed, eth2's stays.
    await api.patch(RESOURCES.ippools, { name: eth1.metadata.name, status: true }, { status: { allocations: [] } });
    await eventually(async () => expect(await api.get(RESOURCES.ippools, eth1.metadata.name)).toBeUndefined());
    expect(await api.get(RESOURCES.ippools, eth2.metadata.name)).toBeDefined();
    expect(Object.keys(indexes(await cidrSpec())).filter((k) => k.includes('node-2/'))).toEqual([
      '10.0.2.0/24 node-2/eth2',
    ]);

    // eth2's grace period began long ago (as after a controller restart): freed although it still holds an address.
    await api.patch(
      RESOURCES.ippools,
      { name: eth2.metadata.name },
      { metadata: { annotations: { 'multinic.dev/departed-at': '2000-01-01T00:00:00Z' } } },
    );
    await eventually(async () => expect(await api.get(RESOURCES.ippools, eth2.metadata.name)).toBeUndefined());
    const after = indexes(await cidrSpec());
    expect(Object.keys(after).some((k) => k.includes('node-2/'))).toBe(false);
    for (const [key, index] of Object.entries(after)) expect(before[key]).toBe(index);
    expect(await events(NET, 'HostDeparted')).toHaveLength(1);
    plan = await cidrSpec();
  });

  it('a node that leaves with empty pools frees its blocks at once, and a new node gets a never-used index', async () => {
    await api.remove(RESOURCES.nodes, 'node-3');
    await api.remove(RESOURCES.hostInterfaces, 'node-3');
    await eventually(async () =>
      expect(Object.keys(indexes(await cidrSpec())).some((k) => k.includes('node-3/'))).toBe(false),
    );
    plan = await cidrSpec();
    await addHost(api, 'node-5', twoNics(5));
    plan = await expectPlanWritten(plan);
    // indexes 1 (node-2) and 2 (node-3) were freed, 3 is node-4's: the new host gets 4, not a block that just emptied.
    expect(indexes(plan)['10.0.1.0/24 node-5/eth1']).toBe(4);
  });

  it('NADs follow the namespace list: a namespace that leaves it loses its NAD, one that joins gets one', async () => {
    await eventually(async () => expect(await nadNamespaces()).toEqual(['team-a', 'team-b']));
    await api.patch(RESOURCES.networks, { name: NET }, { spec: { namespaces: ['team-a', 'team-c'] } });
    await eventually(async () => expect(await nadNamespaces()).toEqual(['team-a', 'team-c']));
    await api.patch(RESOURCES.networks, { name: NET }, { spec: { namespaces: null } });
    const all = (await api.list(RESOURCES.namespaces)).map((n) => n.metadata.name).sort();
    await eventually(async () => expect(await nadNamespaces()).toEqual(all));
    await api.create(RESOURCES.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-d' } });
    await eventually(async () => expect(await nadNamespaces()).toContain('team-d'));
  });

  it('a restarted controller changes no index and writes nothing', async () => {
    await settled(controller);
    const before = await versions(api);
    const planBefore = await cidrSpec();
    await controller.stop();
    controller = await startController(env, { leaderElect: false });
    await settled(controller);
    expect(controller.stats().reconciles).toBeGreaterThan(0);
    expect(await controller.metrics.totalWrites()).toBe(0);
    expect(await versions(api)).toEqual(before);
    expect(await cidrSpec()).toEqual(planBefore);
  });

  it('keeps working across an API server restart (its watches reconnect)', async () => {
    await env.restartApiServer();
    await addHost(api, 'node-6', twoNics(6));
    plan = await expectPlanWritten(plan);
    expect(indexes(plan)['10.0.1.0/24 node-6/eth1']).toBe(5);
  });

  it('a changed hostBlock on a network in use is reported and reshuffles nothing', async () => {
    const cidrVersion = (await api.get(RESOURCES.cidrs, NET))?.metadata.resourceVersion;
    await api.patch(RESOURCES.networks, { name: NET }, { spec: { ipam: { hostBlock: 8 } } });
    await eventually(async () =>
      expect(conditionOf(await readNetwork(), 'Degraded')).toMatchObject({ status: 'True', reason: 'BlocksChanged' }),
    );
    expect(conditionOf(await readNetwork(), 'Degraded')?.message).toMatch(
      /hostBlock 6 → 8 while the network is in use/,
    );
    await settled(controller);
    expect((await api.get(RESOURCES.cidrs, NET))?.metadata.resourceVersion).toBe(cidrVersion);
    await api.patch(RESOURCES.networks, { name: NET }, { spec: { ipam: { hostBlock: 6 } } });
    await eventually(async () => expect(conditionOf(await readNetwork(), 'Ready')).toMatchObject({ status: 'True' }));
    expect((await api.get(RESOURCES.cidrs, NET))?.metadata.resourceVersion).toBe(cidrVersion);
  });

  it.each([
    {
      name: 'net-tiny',
      spec: { subnet: '172.16.0.0/16', ipam: { type: 'multi-nic-ipam', interfaceBlock: 2, hostBlock: 1 } },
      reason: 'CapacityExceeded',
      message: /has no free host index on 10\.0\.1\.0\/24: hostBlock 1 allows 2 hosts/,
    },
    {
      name: 'net-overfull',
      spec: { subnet: '172.17.0.0/16', ipam: { type: 'multi-nic-ipam', interfaceBlock: 8, hostBlock: 10 } },
      reason: 'InvalidSpec',
      message: /interfaceBlock 8 \+ hostBlock 10 do not fit subnet 172\.17\.0\.0\/16/,
    },
  ])(
    'a network with a problem ($reason) is Degraded with a readable reason and an Event',
    async ({ name, spec, reason, message }) => {
      await api.create(RESOURCES.networks, network(name, { namespaces: ['team-a'], ...spec }));
      await eventually(async () => {
        const net = await readNetwork(name);
        expect(conditionOf(net, 'Degraded')).toMatchObject({ status: 'True', reason });
        expect(conditionOf(net, 'Degraded')?.message).toMatch(message);
        expect(conditionOf(net, 'Ready')).toMatchObject({ status: 'False', reason });
      });
      await eventually(async () => expect((await events(name, reason)).length).toBeGreaterThan(0));
      await api.remove(RESOURCES.networks, name);
    },
  );

  it('a network `multinic validate` refuses (sriov without plugin.args.resourceName) is InvalidSpec with the same message, and nothing is written', async () => {
    const name = 'net-sriov';
    const manifest = network(name, {
      subnet: '172.18.0.0/16',
      ipam: { type: 'multi-nic-ipam', interfaceBlock: 2, hostBlock: 6, vlanMode: 'l2' },
      plugin: { cniVersion: '1.0.0', type: 'sriov', args: { spoofchk: 'off' } },
      namespaces: ['team-a'],
    });
    const checked = checkNetworkSpec(manifest);
    expect(checked.ok ? [] : checked.problems).toEqual([
      expect.stringMatching(/plugin\.args\.resourceName is required/),
    ]);
    await api.create(RESOURCES.networks, manifest);
    await eventually(async () => {
      const net = await readNetwork(name);
      expect(conditionOf(net, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
      expect(conditionOf(net, 'Degraded')?.message).toContain(checked.ok ? '?' : checked.problems[0]);
    });
    await settled(controller);
    expect(await api.get(RESOURCES.cidrs, name)).toBeUndefined();
    expect(await pools(name)).toEqual([]);
    expect(await nadNamespaces(name)).toEqual([]);
    await api.remove(RESOURCES.networks, name);
  });

  it('a network whose subnet overlaps one in use on a shared NIC network is refused (Conflict, Event, nothing written) until that one goes', async () => {
    // Issue 23, finding 1: both used to be planned, and their pools handed the same address to two pods.
    const name = 'net-overlap';
    await api.create(
      RESOURCES.networks,
      network(name, { subnet: '192.168.0.0/17', masterNets: ['10.0.2.0/24'], namespaces: ['team-a'] }),
    );
    await eventually(async () => {
      const net = await readNetwork(name);
      expect(conditionOf(net, 'Ready')).toMatchObject({ status: 'False', reason: 'Conflict' });
      expect(conditionOf(net, 'Degraded')?.message).toMatch(
        /pod range 192\.168\.0\.0\/17 overlaps 192\.168\.0\.0\/16 of MultiNicNetwork net-a on master network 10\.0\.2\.0\/24.*net-a keeps them \(it is in use\)/,
      );
    });
    await eventually(async () => expect((await events(name, 'Conflict')).length).toBeGreaterThan(0));
    await settled(controller);
    expect(await api.get(RESOURCES.cidrs, name)).toBeUndefined();
    expect(await pools(name)).toEqual([]);
    expect(await nadNamespaces(name)).toEqual([]);
    expect(conditionOf(await readNetwork(), 'Ready')).toMatchObject({ status: 'True' });
    // The same subnet on a NIC network net-a does not use is another L2 domain: no conflict.
    await api.create(
      RESOURCES.networks,
      network('net-elsewhere', { subnet: '192.168.0.0/17', masterNets: ['10.0.3.0/24'], namespaces: ['team-a'] }),
    );
    await eventually(async () =>
      expect(conditionOf(await readNetwork('net-elsewhere'), 'Degraded')).toMatchObject({ status: 'False' }),
    );
    await api.remove(RESOURCES.networks, 'net-elsewhere');
  });

  it('a network whose delegates run their own IPAM (multiNICIPAM: false) gets its NAD with that ipam as written, and no IPPools', async () => {
    const name = 'own-ipam';
    const ipam = { type: 'host-local', ranges: [[{ subnet: '10.77.0.0/24' }]], dataDir: '/run/own-ipam' };
    const spec = { masterNets: ['10.0.2.0/24'], multiNICIPAM: false, ipam, namespaces: ['team-a'] };
    const { subnet: _subnet, ...rest } = network(name, spec).spec as Record<string, unknown>;
    await api.create(RESOURCES.networks, { ...network(name), spec: rest });
    await eventually(async () =>
      expect(conditionOf(await readNetwork(name), 'Ready')).toMatchObject({ status: 'True' }),
    );
    await eventually(async () => expect(await nadNamespaces(name)).toEqual(['team-a']));
    const [nad] = await api.list(RESOURCES.nads, { labelSelector: `multinic.dev/network=${name}` });
    const config = JSON.parse((nad?.spec as { config: string }).config) as Record<string, unknown>;
    expect(config).toMatchObject({ type: 'multi-nic', multiNICIPAM: false, ipam });
    await settled(controller);
    expect(await pools(name)).toEqual([]);
    expect((await cidrSpec(name)).cidr.every((e) => e.hosts.length === 0)).toBe(true);
    expect(conditionOf(await readNetwork(), 'Ready')).toMatchObject({ status: 'True' });
    await api.remove(RESOURCES.networks, name);
  });

  it('deleting the network garbage-collects its CIDR, IPPools and NADs', async () => {
    expect((await pools()).length).toBeGreaterThan(0);
    await api.remove(RESOURCES.networks, NET);
    await eventually(async () => {
      expect(await api.get(RESOURCES.cidrs, NET)).toBeUndefined();
      expect(await pools()).toEqual([]);
      expect(await nadNamespaces()).toEqual([]);
    });
  });

  it('the network refused for its overlap is planned once the network it collided with is gone', async () => {
    await eventually(async () =>
      expect(conditionOf(await readNetwork('net-overlap'), 'Ready')).toMatchObject({ status: 'True' }),
    );
    expect((await pools('net-overlap')).length).toBeGreaterThan(0);
    await api.remove(RESOURCES.networks, 'net-overlap');
  });
});
