// A dual-stack network against the real API server (ADR 0006 decisions 4 and 5): IPPools of both families written by
// hand (as the controller will), a host namespace whose NICs carry an IPv4 and an IPv6 address. select offers only the
// NICs with a pool of each family; allocate gives both families together, all or nothing; the checkpoint, the IPPool
// status mirror and pod GC treat both addresses as the attachment's.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AgentError, AllocateResponse, LookupResponse, SelectResponse } from '@multinic/crd-types';
import type { KubeClient } from '@multinic/kube';
import { startTestEnv, type TestEnv } from '@multinic/testenv';
import type { Agent } from '../src/agent.js';
import {
  SocketClient,
  TestHost,
  agentConfig,
  allocateRequest,
  eventually,
  ip,
  kube,
  mirroredAllocations,
  postNetwork,
  postPool,
  startAgent as startTestAgent,
  tearDown,
} from './helpers.js';

const NODE = 'node-ds';
const NETWORK = 'net-ds';
let env: TestEnv | undefined;
let host: TestHost | undefined;
let agent: Agent | undefined;
let client: KubeClient;
let sock: SocketClient;
let dir: string;
let now = 1_700_000_000_000;
const GRACE_MS = 60_000;
/** The ipam and plugin of every network here: l2 macvlan, the agent's IPAM. */
const IPAM = { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2, vlanMode: 'l2' };
const PLUGIN = { cniVersion: '1.0.0', type: 'macvlan' };

async function startAgent(): Promise<Agent> {
  if (env === undefined || host === undefined) throw new Error('no test environment');
  const config = agentConfig(dir, NODE, {
    routes: { enabled: false },
    gc: { graceMs: GRACE_MS, intervalMs: 60_000 },
  });
  const started = await startTestAgent({
    config,
    dir,
    kubeConfig: env.kubeConfig,
    host: host.ops(),
    clock: () => now,
  });
  sock = new SocketClient(config.socketPath);
  return started;
}

function theAgent(): Agent {
  if (agent === undefined) throw new Error('no agent');
  return agent;
}

interface Pool {
  readonly name: string;
  readonly nic: string;
  readonly podCIDR: string;
  readonly vlanCIDR: string;
  readonly gateway: string;
}

// eth1 and eth2 have a pool of each family; eth3 an IPv4 pool only (its IPv6 plan "has not landed"). Each pool
// excludes its gateway, as the controller's do. eth2's IPv6 pool is a /126 (::1 to ::3, the gateway ::1 excluded):
// two addresses, so it runs out first.
const POOLS: readonly Pool[] = [
  { name: 'ds-eth1-v4', nic: 'eth1', podCIDR: '192.168.10.0/26', vlanCIDR: '192.168.10.0/24', gateway: '192.168.10.1' },
  { name: 'ds-eth1-v6', nic: 'eth1', podCIDR: 'fd00:10:1::/120', vlanCIDR: 'fd00:10:1::/64', gateway: 'fd00:10:1::1' },
  { name: 'ds-eth2-v4', nic: 'eth2', podCIDR: '192.168.20.0/26', vlanCIDR: '192.168.20.0/24', gateway: '192.168.20.1' },
  { name: 'ds-eth2-v6', nic: 'eth2', podCIDR: 'fd00:10:2::/126', vlanCIDR: 'fd00:10:2::/64', gateway: 'fd00:10:2::1' },
  { name: 'ds-eth3-v4', nic: 'eth3', podCIDR: '192.168.30.0/26', vlanCIDR: '192.168.30.0/24', gateway: '192.168.30.1' },
];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mn-ds-'));
  host = new TestHost();
  host.addNic({ name: 'eth0', cidr: '10.40.0.2/24', defaultVia: '10.40.0.1' });
  for (const [i, nic] of ['eth1', 'eth2', 'eth3'].entries()) {
    host.addNic({ name: nic, cidr: `10.40.${i + 1}.2/24` });
    ip(['-n', host.ns, 'addr', 'add', `fd00:40:${i + 1}::2/64`, 'dev', nic, 'nodad']);
  }
  env = await startTestEnv({ controllerManager: false });
  client = kube(env.kubeConfig);
  await postNetwork(client, NETWORK, { subnet: '192.168.0.0/16', ipam: IPAM, plugin: PLUGIN });
  for (const p of POOLS) {
    await postPool(client, {
      name: p.name,
      network: NETWORK,
      hostName: NODE,
      interfaceName: p.nic,
      podCIDR: p.podCIDR,
      vlanCIDR: p.vlanCIDR,
      excludes: [`${p.gateway}/${p.gateway.includes(':') ? 128 : 32}`],
      gateway: p.gateway,
    });
  }
  agent = await startAgent();
  await eventually(async () => {
    expect((await sock.post('/v1/status', { network: NETWORK })).body).toEqual({ ready: true });
    expect(theAgent().store.pools()).toHaveLength(POOLS.length);
  });
}, 180_000);

afterAll(() => tearDown({ sock, agent, client, env, host, dir }), 60_000);

function allocate(containerID: string, nics: readonly string[], podUID = `uid-${containerID}`) {
  return sock.post<AllocateResponse & AgentError>(
    '/v1/allocate',
    allocateRequest({ network: NETWORK, containerID, podUID, nics }),
  );
}

/** `pool/address containerID` of what the agent holds, sorted. */
function held(): string[] {
  return theAgent()
    .store.records()
    .map((r) => `${r.pool}/${r.address} ${r.containerID}`)
    .sort();
}

describe('a dual-stack network', () => {
  it('select offers only the NICs with a pool of each family', async () => {
    await eventually(async () => {
      await theAgent().hooks.discoverNow();
      const res = await sock.post<SelectResponse>('/v1/select', {
        network: NETWORK,
        containerID: 'sel',
        ifname: 'net1',
        pod: { name: 'p', namespace: 'default', uid: 'u-sel' },
      });
      expect(res.status).toBe(200);
      expect(res.body.nics.map((n) => n.interfaceName)).toEqual(['eth1', 'eth2']);
      expect(res.body.decisions).toContainEqual({
        interfaceName: 'eth3',
        selected: false,
        reason: `no IPPool of network ${NETWORK} for this NIC on this node yet`,
      });
    });
  });

  it('allocate gives every NIC an address of each family with its gateway; lookup and the IPPool status agree', async () => {
    const res = await allocate('c1', ['eth1', 'eth2']);
    expect(res.status).toBe(200);
    const expected = [
      {
        interfaceName: 'eth1',
        podInterface: 'net1-0',
        address: '192.168.10.2/24',
        gateway: '192.168.10.1',
        podCIDR: '192.168.10.0/26',
        vlanCIDR: '192.168.10.0/24',
        ippool: 'ds-eth1-v4',
        otherFamily: {
          address: 'fd00:10:1::2/64',
          gateway: 'fd00:10:1::1',
          podCIDR: 'fd00:10:1::/120',
          vlanCIDR: 'fd00:10:1::/64',
          ippool: 'ds-eth1-v6',
        },
      },
      {
        interfaceName: 'eth2',
        podInterface: 'net1-1',
        address: '192.168.20.2/24',
        gateway: '192.168.20.1',
        podCIDR: '192.168.20.0/26',
        vlanCIDR: '192.168.20.0/24',
        ippool: 'ds-eth2-v4',
        otherFamily: {
          address: 'fd00:10:2::2/64',
          gateway: 'fd00:10:2::1',
          podCIDR: 'fd00:10:2::/126',
          vlanCIDR: 'fd00:10:2::/64',
          ippool: 'ds-eth2-v6',
        },
      },
    ];
    expect(res.body.allocations).toEqual(expected);
    const lookup = await sock.post<LookupResponse>('/v1/lookup', {
      network: NETWORK,
      containerID: 'c1',
      ifname: 'net1',
    });
    expect(lookup.body.allocations).toEqual(expected);
    await eventually(async () =>
      expect(await mirroredAllocations(client, NODE)).toEqual([
        'ds-eth1-v4/192.168.10.2 c1',
        'ds-eth1-v6/fd00:10:1::2 c1',
        'ds-eth2-v4/192.168.20.2 c1',
        'ds-eth2-v6/fd00:10:2::2 c1',
      ]),
    );
  });

  it('an exhausted IPv6 pool fails the whole allocation (409, code 100) and leaves the IPv4 pools unchanged', async () => {
    expect((await allocate('c2', ['eth1', 'eth2'])).status).toBe(200);
    // eth2's IPv6 /126 now holds ::2 and ::3: full.
    const before = held();
    const full = await allocate('c4', ['eth1', 'eth2']);
    expect(full.status).toBe(409);
    expect(full.body).toMatchObject({ code: 100, field: 'nics[1].interfaceName' });
    expect(full.body.msg).toMatch(/no free address on NIC eth2 \(IPv6 IPPool ds-eth2-v6\)/);
    expect(held()).toEqual(before);
    await theAgent().hooks.mirrorIdle();
    expect((await mirroredAllocations(client, NODE)).filter((a) => a.includes(' c4'))).toEqual([]);
    // Releasing one attachment frees both families on both NICs, and the next allocation fits.
    const released = await sock.post<{ released: { interfaceName: string; address: string }[] }>('/v1/release', {
      network: NETWORK,
      containerID: 'c2',
      ifname: 'net1',
      podUID: 'uid-c2',
    });
    expect(released.body.released.map((r) => r.address).sort()).toEqual(
      ['192.168.10.3', '192.168.20.3', 'fd00:10:1::3', 'fd00:10:2::3'].sort(),
    );
    const again = await allocate('c4', ['eth1', 'eth2']);
    expect(again.status).toBe(200);
    expect(again.body.allocations[1]?.otherFamily?.address).toBe('fd00:10:2::3/64');
  });

  it('a restart from the checkpoint keeps both families of every attachment', async () => {
    const lookup = (id: string) =>
      sock.post<LookupResponse>('/v1/lookup', { network: NETWORK, containerID: id, ifname: 'net1' });
    const before = await Promise.all(['c1', 'c4'].map(async (id) => (await lookup(id)).body.allocations));
    expect(before.flat().every((a) => a.otherFamily !== undefined)).toBe(true);
    const heldBefore = held();
    sock.close();
    await theAgent().stop();
    agent = await startAgent();
    await eventually(async () =>
      expect((await sock.post('/v1/status', { network: NETWORK })).body).toEqual({ ready: true }),
    );
    expect(held()).toEqual(heldBefore);
    const after = await Promise.all(['c1', 'c4'].map(async (id) => (await lookup(id)).body.allocations));
    expect(after).toEqual(before);
  }, 60_000);

  it('a network whose subnets[0] is IPv6 answers its IPv6 address in `address`, the IPv4 one in `otherFamily`', async () => {
    const name = 'net-ds6';
    await postNetwork(client, name, {
      subnets: [{ cidr: 'fd00:60::/48' }, { cidr: '172.26.0.0/16' }],
      ipam: IPAM,
      plugin: PLUGIN,
    });
    for (const [pool, podCIDR, vlanCIDR] of [
      ['ds6-eth1-v6', 'fd00:60:1::/120', 'fd00:60:1::/64'],
      ['ds6-eth1-v4', '172.26.1.0/26', '172.26.1.0/24'],
    ] as const) {
      await postPool(client, {
        name: pool,
        network: name,
        hostName: NODE,
        interfaceName: 'eth1',
        podCIDR,
        vlanCIDR,
        excludes: [],
      });
    }
    await eventually(async () => {
      const res = await sock.post<AllocateResponse>(
        '/v1/allocate',
        allocateRequest({ network: name, containerID: 'c6', podUID: 'uid-c6', nics: ['eth1'] }),
      );
      expect(res.status).toBe(200);
      expect(
        res.body.allocations.map((a) => [a.address, a.ippool, a.otherFamily?.address, a.otherFamily?.ippool]),
      ).toEqual([['fd00:60:1::1/64', 'ds6-eth1-v6', '172.26.1.1/24', 'ds6-eth1-v4']]);
    });
    await sock.post('/v1/release', { network: name, containerID: 'c6', ifname: 'net1', podUID: 'uid-c6' });
  });

  it('a network that declares two families (spec.subnets) never hands out one family alone: a NIC with only its IPv4 pool is not offered and not allocated', async () => {
    const name = 'net-ds-declared';
    await postNetwork(client, name, {
      subnets: [{ cidr: '172.27.0.0/16' }, { cidr: 'fd00:61::/48' }],
      ipam: IPAM,
      plugin: PLUGIN,
    });
    await postPool(client, {
      name: 'dsd-eth1-v4',
      network: name,
      hostName: NODE,
      interfaceName: 'eth1',
      podCIDR: '172.27.1.0/26',
      vlanCIDR: '172.27.1.0/24',
      excludes: [],
    });
    await eventually(async () => {
      expect(theAgent().store.poolSpec('dsd-eth1-v4')).toBeDefined();
      const selected = await sock.post<SelectResponse>('/v1/select', {
        network: name,
        containerID: 'dsd',
        ifname: 'net1',
        pod: { name: 'p', namespace: 'default', uid: 'u-dsd' },
      });
      expect(selected.body.nics ?? []).toEqual([]);
    });
    const res = await sock.post<AllocateResponse & AgentError>(
      '/v1/allocate',
      allocateRequest({ network: name, containerID: 'dsd', podUID: 'uid-dsd', nics: ['eth1'] }),
    );
    expect([res.status, res.body.code]).toEqual([503, 11]);
    expect(`${res.body.msg} ${res.body.details ?? ''}`).toContain('has no IPv6 IPPool');
    expect(held().filter((h) => h.startsWith('dsd-'))).toEqual([]);
  });

  it("pod GC frees both families of a deleted pod's attachment, and nothing of a live pod's", async () => {
    await sock.post('/v1/gc', { network: NETWORK, validAttachments: [] });
    const pod = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: { nodeName: NODE, containers: [{ name: 'c', image: 'example.invalid/none' }] },
    });
    const live = await client.request<{ metadata: { uid: string } }>({
      method: 'POST',
      path: '/api/v1/namespaces/default/pods',
      body: pod('ds-live'),
    });
    const dead = await client.request<{ metadata: { uid: string } }>({
      method: 'POST',
      path: '/api/v1/namespaces/default/pods',
      body: pod('ds-dead'),
    });
    expect((await allocate('c-live', ['eth1', 'eth2'], live.metadata.uid)).status).toBe(200);
    expect((await allocate('c-dead', ['eth1', 'eth2'], dead.metadata.uid)).status).toBe(200);
    expect(held()).toHaveLength(8);
    await client.request({
      method: 'DELETE',
      path: '/api/v1/namespaces/default/pods/ds-dead',
      query: { gracePeriodSeconds: '0' },
    });
    now += GRACE_MS + 1_000;
    await eventually(async () => {
      await theAgent().hooks.gcNow();
      expect(held().map((h) => h.split(' ')[1])).toEqual(Array(4).fill('c-live'));
    });
    await eventually(async () =>
      expect((await mirroredAllocations(client, NODE)).map((a) => a.split(' ')[1])).toEqual(Array(4).fill('c-live')),
    );
  }, 60_000);
});
