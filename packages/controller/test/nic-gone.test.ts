// A NIC gone from the HostInterface of a host that is still there, while its IPPool holds pods' addresses (a
// host-device pod took it and the agent did not report it lent): the controller keeps the pool, its block and its
// gateway for as long as the allocations last — no grace period, unlike a departed host — says so once (Event
// NicGoneInUse, annotation multinic.dev/nic-gone-at), and deletes it only once the allocations are released.
// A NIC reported lent (`lentTo`) is planned as any other. Real kube-apiserver.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestEnv } from '@multinic/testenv';
import type { Controller } from '../src/index.js';
import { eventually, network, node, RESOURCES, settled, startController, startEnv, type Api } from './harness.js';

const NET = 'hd';
const LAN = '10.0.3.0/24';
const GW = '10.0.3.254';
let env: TestEnv;
let api: Api;
let controller: Controller;

const eth = (name: string, hostIP: string, extra: Record<string, string> = {}) => ({
  interfaceName: name,
  netAddress: LAN,
  hostIP,
  gateway: GW,
  ...extra,
});

async function setNics(nics: readonly ReturnType<typeof eth>[]): Promise<void> {
  await api.patch(RESOURCES.hostInterfaces, { name: 'node-1' }, { spec: { interfaces: nics } });
}

interface Pool {
  name: string;
  interfaceName: string;
  podCIDR: string;
  gateway?: string;
  annotations: Record<string, string>;
}

async function pools(): Promise<Pool[]> {
  return (await api.list(RESOURCES.ippools))
    .filter((p) => (p.spec as { network: string }).network === NET)
    .map((p) => {
      const spec = p.spec as Omit<Pool, 'name' | 'annotations'>;
      return { name: p.metadata.name, ...spec, annotations: p.metadata.annotations ?? {} };
    })
    .sort((a, b) => a.interfaceName.localeCompare(b.interfaceName));
}

async function plannedNics(): Promise<string[]> {
  const cidr = await api.get(RESOURCES.cidrs, NET);
  const entries = (cidr?.spec as { cidr: { hosts: { hostName: string; interfaceName: string }[] }[] }).cidr;
  return entries.flatMap((e) => e.hosts.map((h) => `${h.hostName}/${h.interfaceName}`)).sort();
}

async function events(reason: string): Promise<string[]> {
  const all = await api.list(RESOURCES.events, { namespace: 'default' });
  return all
    .map((e) => e as unknown as { involvedObject: { name: string }; reason: string; message: string })
    .filter((e) => e.involvedObject.name === NET && e.reason === reason)
    .map((e) => e.message);
}

beforeAll(async () => {
  ({ env, api } = await startEnv());
  await api.create(RESOURCES.nodes, node('node-1'));
  await api.create(RESOURCES.hostInterfaces, {
    apiVersion: 'multinic.dev/v1',
    kind: 'HostInterface',
    metadata: { name: 'node-1' },
    spec: { hostName: 'node-1', interfaces: [eth('eth3', '10.0.3.1'), eth('eth4', '10.0.3.2')] },
  });
  // A one-second grace period for departed hosts: a NIC of a present host must outlast it.
  controller = await startController(env, { leaderElect: false, hostGracePeriodSeconds: 1 });
  await api.create(
    RESOURCES.networks,
    network(NET, {
      subnet: '',
      masterNets: [LAN],
      ipam: { type: 'multi-nic-ipam', vlanMode: 'l2' },
      plugin: { cniVersion: '1.0.0', type: 'host-device' },
      attachPolicy: { strategy: 'none', nics: 1 },
    }),
  );
  await eventually(async () => expect((await pools()).map((p) => p.interfaceName)).toEqual(['eth3', 'eth4']));
}, 120_000);

afterAll(async () => {
  await controller?.stop();
  await env?.stop();
});

describe('a NIC gone from a present host', () => {
  let before: Pool[];

  it('a NIC reported lent (lentTo) keeps its plan and pool as they were', async () => {
    before = await pools();
    await setNics([eth('eth3', '10.0.3.1', { lentTo: 'default/hd-0' }), eth('eth4', '10.0.3.2')]);
    await settled(controller);
    expect(await pools()).toEqual(before);
    expect(await plannedNics()).toEqual(['node-1/eth3', 'node-1/eth4']);
  });

  it('gone while its IPPool holds an address: kept with block and gateway past the grace period, said once', async () => {
    const [eth3] = before;
    if (eth3 === undefined) throw new Error('no eth3 pool');
    const address = eth3.podCIDR.replace(/\.\d+\/28$/, (m) => `.${Number(m.slice(1, -3)) + 1}`);
    await api.patch(
      RESOURCES.ippools,
      { name: eth3.name, status: true },
      {
        status: {
          allocations: [
            { address, containerID: 'c0', interface: 'net1', podName: 'hd-0', podNamespace: 'default', podUID: 'u0' },
          ],
        },
      },
    );
    await setNics([eth('eth4', '10.0.3.2')]);
    await eventually(async () => expect(await events('NicGoneInUse')).toHaveLength(1));
    expect((await events('NicGoneInUse'))[0]).toMatch(
      new RegExp(
        `^NIC eth3 is gone from host node-1's HostInterface, but IPPool ${eth3.name} still holds pods' addresses`,
      ),
    );
    await eventually(async () =>
      expect((await pools())[0]?.annotations['multinic.dev/nic-gone-at']).toMatch(/^\d{4}-\d\d-\d\dT/),
    );
    await sleep(2_500); // past the 1 s grace period of a departed host
    await settled(controller);
    const kept = (await pools()).find((p) => p.interfaceName === 'eth3');
    expect(kept).toMatchObject({ name: eth3.name, podCIDR: eth3.podCIDR, gateway: GW });
    expect(await plannedNics()).toEqual(['node-1/eth3', 'node-1/eth4']);
    expect(await events('NicGoneInUse')).toHaveLength(1);
    expect(await events('HostDeparted')).toHaveLength(0);
  });

  it('a gone NIC whose pool is empty loses it at once; the kept one goes once its allocations are released', async () => {
    await setNics([]);
    await eventually(async () => expect((await pools()).map((p) => p.interfaceName)).toEqual(['eth3']));
    const [eth3] = await pools();
    await api.patch(RESOURCES.ippools, { name: eth3?.name ?? '', status: true }, { status: { allocations: [] } });
    await eventually(async () => expect(await pools()).toEqual([]));
    expect(await plannedNics()).toEqual([]);
  });
});
