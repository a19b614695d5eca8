// The agent's checkpoint is the truth for its pools' status: a status someone else overwrote (an admin, a buggy tool,
// a stale writer) is rewritten from the store within seconds, with a Warning Event on the IPPool saying what was
// overwritten; the mirror's own writes (their echoes through the watch) are never taken for foreign ones.
// Issue 23, finding 2: a PUT of `allocations: []` used to stay for minutes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubeClient } from '@multinic/kube';
import { startTestEnv, type TestEnv } from '@multinic/testenv';
import type { Agent } from '../src/agent.js';
import type { PoolStatus } from './helpers.js';
import {
  GROUP,
  SocketClient,
  agentConfig,
  allocateRequest,
  createNetwork,
  eventually,
  kube,
  mirroredAllocations,
  poolsOf,
  startAgent,
  tearDown,
} from './helpers.js';

const NODE = 'node-fix';
const NETWORK = 'net-fix';
let env: TestEnv | undefined;
let agent: Agent | undefined;
let client: KubeClient;
let sock: SocketClient;
let dir: string;

interface CoreEvent {
  reason: string;
  type: string;
  message: string;
  involvedObject: { kind: string; name: string };
  reportingInstance?: string;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mn-repair-'));
  env = await startTestEnv({ controllerManager: false });
  client = kube(env.kubeConfig);
  await createNetwork(client, {
    name: NETWORK,
    subnet: '172.21.0.0/16',
    hosts: [
      { hostName: NODE, interfaces: [{ interfaceName: 'eth1', netAddress: '10.21.1.0/24', hostIP: '10.21.1.2' }] },
    ],
  });
  // The default batch interval (1 s): the repair must come from the production pacing, not from a test-sized one.
  const config = agentConfig(dir, NODE, {
    discovery: { enabled: false },
    routes: { enabled: false },
    gc: { enabled: false },
    mirror: {},
  });
  agent = await startAgent({ config, dir, kubeConfig: env.kubeConfig });
  sock = new SocketClient(config.socketPath);
  await eventually(async () =>
    expect((await sock.post('/v1/status', { network: NETWORK })).body).toEqual({ ready: true }),
  );
}, 180_000);

afterAll(() => tearDown({ sock, agent, client, env, dir }), 60_000);

function theAgent(): Agent {
  if (agent === undefined) throw new Error('no agent');
  return agent;
}

/** `pool/address containerID` of everything the agent holds, sorted. */
function held(): string[] {
  return theAgent()
    .store.records()
    .map((r) => `${r.pool}/${r.address} ${r.containerID}`)
    .sort();
}

async function thePool(): Promise<PoolStatus & { metadata: { resourceVersion: string } }> {
  const [pool] = await poolsOf(client, NODE);
  if (pool === undefined) throw new Error(`no IPPool of ${NODE}`);
  return pool as PoolStatus & { metadata: { resourceVersion: string } };
}

async function repairEvents(): Promise<CoreEvent[]> {
  const list = await client.request<{ items: CoreEvent[] }>({
    method: 'GET',
    path: '/api/v1/namespaces/default/events',
  });
  return list.items.filter((e) => e.reason === 'StatusRepaired');
}

/** What an admin with `kubectl edit --subresource=status` would do: replace the allocations. */
async function overwrite(allocations: unknown[]): Promise<void> {
  const pool = await thePool();
  await client.request({
    method: 'PUT',
    path: `${GROUP}/ippools/${pool.metadata.name}/status`,
    body: { ...pool, status: { ...pool.status, allocations } },
  });
}

const allocate = (id: string): Promise<{ status: number }> =>
  sock.post(
    '/v1/allocate',
    allocateRequest({ network: NETWORK, containerID: id, podUID: `uid-${id}`, nics: ['eth1'] }),
  );
const release = (id: string): Promise<{ status: number }> =>
  sock.post('/v1/release', { network: NETWORK, containerID: id, ifname: 'net1', podUID: `uid-${id}` });
const statusWrites = async (): Promise<number> =>
  (await theAgent().metrics.mirrorWrites.get()).values.find((v) => v.labels['outcome'] === 'written')?.value ?? 0;

describe("the mirror's own writes are not foreign", () => {
  it('their echoes arrive while the store keeps changing (allocations and releases across several status writes): no repair', async () => {
    const writesBefore = await statusWrites();
    let i = 0;
    // Until the mirror wrote three times, each write's echo coming back while the store has moved on.
    while ((await statusWrites()) < writesBefore + 3) {
      expect((await allocate(`churn-${i}`)).status).toBe(200);
      if (i >= 5) expect((await release(`churn-${i - 5}`)).status).toBe(200);
      i += 1;
    }
    for (let k = Math.max(0, i - 5); k < i; k += 1) await release(`churn-${k}`);
    await eventually(async () => expect(await mirroredAllocations(client, NODE)).toEqual(held()));
    expect(held()).toEqual([]);
    expect(await repairEvents()).toEqual([]);
  });

  it("a label change (a newer resourceVersion, the mirror's last body) while a local change is pending: no repair", async () => {
    const pool = await thePool();
    expect((await allocate('pending')).status).toBe(200);
    await client.request({
      method: 'PATCH',
      path: `${GROUP}/ippools/${pool.metadata.name}`,
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { touched: 'yes' } } },
    });
    await eventually(async () => expect(await mirroredAllocations(client, NODE)).toEqual(held()));
    expect(held()).toHaveLength(1);
    expect((await release('pending')).status).toBe(200);
    await eventually(async () => expect(await mirroredAllocations(client, NODE)).toEqual([]));
    expect(await repairEvents()).toEqual([]);
  });
});

describe('a foreign IPPool status write', () => {
  it('a burst of allocations and releases, mirrored without any repair', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `burst-${i}`);
    const added = await Promise.all(
      ids.map((id) =>
        sock.post(
          '/v1/allocate',
          allocateRequest({ network: NETWORK, containerID: id, podUID: `uid-${id}`, nics: ['eth1'] }),
        ),
      ),
    );
    expect(added.map((r) => r.status)).toEqual(ids.map(() => 200));
    // Releases while the writes of the allocations are still coming back through the watch.
    await Promise.all(
      ids
        .slice(0, 20)
        .map((id) =>
          sock.post('/v1/release', { network: NETWORK, containerID: id, ifname: 'net1', podUID: `uid-${id}` }),
        ),
    );
    await eventually(async () => expect(await mirroredAllocations(client, NODE)).toEqual(held()));
    expect(held()).toHaveLength(40);
    expect(await repairEvents()).toEqual([]);
  });

  it('emptied: the agent restores the allocations from its checkpoint within seconds and records a Warning Event', async () => {
    const before = await mirroredAllocations(client, NODE);
    expect(before).toHaveLength(40);
    await overwrite([]);
    expect(await mirroredAllocations(client, NODE)).toEqual([]);
    await eventually(async () => expect(await mirroredAllocations(client, NODE)).toEqual(before), 15_000);
    const pool = await thePool();
    const events = await eventually(async () => {
      const found = await repairEvents();
      expect(found).toHaveLength(1);
      return found;
    });
    const [event] = events;
    expect(event).toMatchObject({
      type: 'Warning',
      involvedObject: { kind: 'IPPool', name: pool.metadata.name },
      reportingInstance: NODE,
    });
    expect(event?.message).toMatch(
      /^status\.allocations was written by someone other than this node's agent .*: 40 missing \(172\.21\.\d+\.\d+, .*, …\)\. Rewrote the 40 allocations/,
    );
  });

  it('an entry added and one changed: the intruder goes, the holder comes back, and the Event names both', async () => {
    const pool = await thePool();
    const current = pool.status?.allocations ?? [];
    const [first, ...rest] = current;
    if (first === undefined) throw new Error('no allocation to change');
    // An address of the pool that nobody holds: how far the allocator's cursor got depends on how many churn
    // allocations the earlier test made while it waited for three mirror writes, so no fixed address is free for sure.
    const heldAddresses = new Set(current.map((a) => a.address));
    const base = pool.spec.podCIDR.replace(/\.0\/24$/, '');
    const free = [...Array(254).keys()].map((i) => `${base}.${254 - i}`).find((a) => !heldAddresses.has(a));
    if (free === undefined) throw new Error(`no free address in ${pool.spec.podCIDR}`);
    const stranger = {
      address: free,
      containerID: 'stranger',
      interface: 'net1',
      podName: 'x',
      podNamespace: 'default',
      podUID: 'ux',
    };
    const before = await mirroredAllocations(client, NODE);
    await overwrite([{ ...first, containerID: 'hijacked' }, ...rest, stranger]);
    await eventually(async () => expect(await mirroredAllocations(client, NODE)).toEqual(before), 15_000);
    const event = await eventually(async () => {
      const found = (await repairEvents()).filter((e) => e.message.includes('extra'));
      expect(found).toHaveLength(1);
      return found[0];
    });
    expect(event?.message).toContain(`1 extra (${stranger.address})`);
    expect(event?.message).toContain(`1 with another holder (${first.address})`);
    // The agent still serves the repaired holders: an allocation of the same attachment answers the same address.
    const again = await sock.post<{ allocations: { address: string }[] }>(
      '/v1/allocate',
      allocateRequest({ network: NETWORK, containerID: first.containerID, podUID: first.podUID, nics: ['eth1'] }),
    );
    expect(again.body.allocations.map((a) => a.address.split('/')[0])).toEqual([first.address]);
  });
});
