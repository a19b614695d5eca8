// The agent against a real control plane, working on a network namespace that acts as the host "node1": veth NICs
// whose peers live in a second namespace. Discovery, the socket API, the IPPool mirror, API-server outage, pod GC
// and route programming.
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PlanHost } from '@multinic/cidr-core';
import { routesForHost } from '@multinic/cidr-core';
import type { AllocateResponse, HostInterface } from '@multinic/crd-types';
import { startTestEnv, type TestEnv } from '@multinic/testenv';
import { pino } from 'pino';
import { Agent } from '../src/agent.js';
import { AgentConfigSchema } from '../src/config.js';
import type { KubeClient } from '@multinic/kube';
import {
  GROUP,
  SocketClient,
  TestHost,
  agentConfig,
  allocateRequest,
  createNetwork,
  eventually,
  ip,
  kube,
  mirroredAllocations,
  poolsOf,
  startAgent,
  tearDown,
} from './helpers.js';

const NODE = 'node1';
let env: TestEnv | undefined;
let host: TestHost | undefined;
let agent: Agent | undefined;
let client: KubeClient;
let sock: SocketClient;
let dir: string;
let now = 1_700_000_000_000;
const GRACE_MS = 60_000;

function theHost(): TestHost {
  if (host === undefined) throw new Error('no test host');
  return host;
}

function theAgent(): Agent {
  if (agent === undefined) throw new Error('no agent');
  return agent;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mn-agent-'));
  host = new TestHost();
  host.addNic({ name: 'eth0', cidr: '10.10.0.2/24', defaultVia: '10.10.0.1' });
  host.addNic({ name: 'eth1', cidr: '10.10.1.2/24' });
  host.addNic({ name: 'eth2', cidr: '10.10.1.3/24' });
  host.addNic({ name: 'eth3', cidr: '10.10.2.2/24' });
  host.addNic({ name: 'eth4', cidr: '10.10.3.2/24', up: false });
  host.addNic({ name: 'veth-pod1', cidr: '10.10.4.2/24' });
  ip(['-n', host.ns, 'link', 'add', 'mnbr0', 'type', 'bridge']);
  ip(['-n', host.ns, 'addr', 'add', '10.10.5.1/24', 'dev', 'mnbr0']);
  ip(['-n', host.ns, 'link', 'set', 'mnbr0', 'up']);
  // Someone else's table: the agent must not pick it.
  ip(['-n', host.ns, 'route', 'add', '10.99.0.0/24', 'dev', 'eth1', 'table', '1000']);
  env = await startTestEnv({ controllerManager: false });
  client = kube(env.kubeConfig);
  const config = agentConfig(dir, NODE, {
    routes: { resyncMs: 60_000, rtTablesDir: path.join(dir, 'iproute2') },
    gc: { graceMs: GRACE_MS, intervalMs: 60_000 },
  });
  agent = await startAgent({ config, dir, kubeConfig: env.kubeConfig, host: host.ops(), clock: () => now });
  sock = new SocketClient(config.socketPath);
}, 180_000);

afterAll(() => tearDown({ sock, agent, client, env, host, dir }), 60_000);

async function hostInterface(): Promise<HostInterface> {
  return client.request<HostInterface>({ method: 'GET', path: `${GROUP}/hostinterfaces/${NODE}` });
}

async function allocate(
  containerID: string,
  nics: readonly string[],
  ips?: string[],
): Promise<{ status: number; body: AllocateResponse & { field?: string; msg?: string } }> {
  return sock.post(
    '/v1/allocate',
    allocateRequest({
      network: 'net-a',
      containerID,
      podUID: `uid-${containerID}`,
      nics,
      ...(ips === undefined ? {} : { ips }),
    }),
  );
}

async function release(containerID: string): Promise<{ status: number; body: { released: { address: string }[] } }> {
  return sock.post('/v1/release', { network: 'net-a', containerID, ifname: 'net1', podUID: `uid-${containerID}` });
}

/** `pool/address containerID` of everything the agent holds, sorted. */
function held(): string[] {
  return theAgent()
    .store.records()
    .map((r) => `${r.pool}/${r.address} ${r.containerID}`)
    .sort();
}

const peers: PlanHost[] = [
  {
    hostName: 'node2',
    interfaces: [
      { interfaceName: 'eth1', netAddress: '10.10.1.0/24', hostIP: '10.10.1.20' },
      { interfaceName: 'eth3', netAddress: '10.10.2.0/24', hostIP: '10.10.2.20' },
    ],
  },
  { hostName: 'node3', interfaces: [{ interfaceName: 'eth1', netAddress: '10.10.1.0/24', hostIP: '10.10.1.30' }] },
];

describe('discovery', () => {
  it('writes the HostInterface with the secondary NICs only: both NICs on 10.10.1.0/24, not the default-route, down, bridge or pod-side links', async () => {
    const hi = await eventually(async () => {
      const obj = await hostInterface();
      expect(obj.spec.interfaces.map((n) => n.interfaceName)).toEqual(['eth1', 'eth2', 'eth3']);
      return obj;
    });
    expect(hi.spec.interfaces.map((n) => [n.netAddress, n.hostIP, n.mtu, n.speedMbps])).toEqual([
      ['10.10.1.0/24', '10.10.1.2', 1500, 10000],
      ['10.10.1.0/24', '10.10.1.3', 1500, 10000],
      ['10.10.2.0/24', '10.10.2.2', 1500, 10000],
    ]);
    const managers = (hi.metadata as { managedFields?: { manager: string; operation: string }[] }).managedFields ?? [];
    expect(managers).toContainEqual(expect.objectContaining({ manager: 'multinic-agent', operation: 'Apply' }));
  });

  it('the socket is mode 0600', () => {
    expect(statSync(path.join(dir, 'run', 'agent.sock')).mode & 0o777).toBe(0o600);
  });

  it('a second agent on the same socket refuses to start and leaves the first one serving', async () => {
    const config = AgentConfigSchema.parse({
      nodeName: NODE,
      socketPath: path.join(dir, 'run', 'agent.sock'),
      stateDir: path.join(dir, 'state'),
      metrics: { host: '127.0.0.1', port: 0 },
      discovery: { enabled: false },
      routes: { enabled: false },
      gc: { enabled: false },
    });
    const second = Agent.start({
      config,
      log: pino({ level: 'silent' }),
      kubeConfig: (env as TestEnv).kubeConfig,
      host: theHost().ops(),
    });
    await expect(second).rejects.toMatchObject({ name: 'AgentStartError', code: 'SOCKET_IN_USE' });
    expect((await sock.post('/v1/status', {})).body).toEqual({ ready: true });
  });
});

describe('the local API', () => {
  beforeAll(async () => {
    const hi = await hostInterface();
    const me: PlanHost = {
      hostName: NODE,
      interfaces: hi.spec.interfaces.map((n) => ({
        interfaceName: n.interfaceName,
        netAddress: n.netAddress,
        hostIP: n.hostIP,
      })),
    };
    await createNetwork(client, { name: 'net-a', subnet: '192.168.0.0/16', hosts: [me, ...peers] });
    await eventually(async () =>
      expect((await sock.post('/v1/status', { network: 'net-a' })).body).toEqual({ ready: true }),
    );
  });

  it('select runs the attach policy over the NICs that have a pool', async () => {
    const res = await sock.post<{ nics: { interfaceName: string; podInterface: string }[] }>('/v1/select', {
      network: 'net-a',
      containerID: 'sel',
      ifname: 'net1',
      pod: { name: 'p', namespace: 'default', uid: 'u' },
      cniArgs: { masters: ['eth3', 'eth1'] },
    });
    expect(res.status).toBe(200);
    expect(res.body.nics.map((n) => [n.interfaceName, n.podInterface])).toEqual([
      ['eth3', 'net1'],
      ['eth1', 'net1-1'],
    ]);
  });

  it.each([
    {
      case: 'no pod',
      body: {
        network: 'net-a',
        containerID: 'c',
        ifname: 'net1',
        nics: [{ interfaceName: 'eth1', netAddress: '', podInterface: 'net1-0' }],
      },
      status: 400,
      field: 'pod',
    },
    {
      case: 'no NICs',
      body: {
        network: 'net-a',
        containerID: 'c',
        ifname: 'net1',
        pod: { name: 'p', namespace: 'd', uid: 'u' },
        nics: [],
      },
      status: 400,
      field: 'nics',
    },
    {
      case: 'bad ifname',
      body: { ...allocateRequest({ network: 'net-a', containerID: 'c', podUID: 'u', nics: ['eth1'] }), ifname: 'a/b' },
      status: 400,
      field: 'ifname',
    },
    {
      case: 'unknown NIC',
      body: allocateRequest({ network: 'net-a', containerID: 'c', podUID: 'u', nics: ['eth9'] }),
      status: 503,
      field: 'nics[0].interfaceName',
    },
    { case: 'not JSON', body: '{nope', status: 400, field: undefined },
  ])('a bad allocate request is $status naming the field ($case)', async ({ body, status, field }) => {
    const res = await sock.post<{ code: number; msg: string; field?: string }>('/v1/allocate', body);
    expect(res.status).toBe(status);
    expect(res.body.field).toBe(field);
    expect(res.body.msg.length).toBeGreaterThan(10);
  });

  it('a repeated ADD gets the same addresses; a requested address is honoured', async () => {
    const first = await allocate('repeat', ['eth1', 'eth3']);
    const again = await allocate('repeat', ['eth1', 'eth3']);
    expect(first.status).toBe(200);
    expect(again.body.allocations).toEqual(first.body.allocations);
    expect(first.body.allocations.map((a) => [a.interfaceName, a.podInterface, a.address.endsWith('/18')])).toEqual([
      ['eth1', 'net1-0', true],
      ['eth3', 'net1-1', true],
    ]);
    const pool = first.body.allocations[0]?.podCIDR ?? '';
    const wanted = pool.replace(/\.0\/24$/, '.200');
    const asked = await allocate('asked', ['eth1'], [wanted]);
    expect(asked.body.allocations[0]?.address).toBe(`${wanted}/18`);
    const taken = await allocate('asked-again', ['eth1'], [wanted]);
    expect([taken.status, taken.body.field]).toEqual([409, 'ips[0]']);
    for (const c of ['repeat', 'asked']) expect((await release(c)).status).toBe(200);
    expect((await release('asked')).body.released).toEqual([]);
  });

  it('lookup answers what the agent holds for an attachment, read-only, as allocate answered it; nothing once released', async () => {
    const lookup = (
      containerID: string,
      ifname = 'net1',
    ): Promise<{ status: number; body: { allocations: unknown[]; field?: string } }> =>
      sock.post('/v1/lookup', { network: 'net-a', containerID, ifname });
    const added = await allocate('looked-up', ['eth3', 'eth1']);
    expect(added.status).toBe(200);
    const before = held();
    const found = await lookup('looked-up');
    expect(found).toEqual({ status: 200, body: { allocations: added.body.allocations } });
    expect(held()).toEqual(before);
    expect((await lookup('looked-up', 'net2')).body.allocations).toEqual([]);
    expect((await release('looked-up')).body.released).toHaveLength(2);
    expect(await lookup('looked-up')).toEqual({ status: 200, body: { allocations: [] } });
    const bad = await sock.post<{ field?: string }>('/v1/lookup', {
      network: 'net-a',
      containerID: '',
      ifname: 'net1',
    });
    expect([bad.status, bad.body.field]).toEqual([400, 'containerID']);
  });

  it("every allocation carries its IPPool's spec.gateway (the pods' gateway on that NIC network); a pool without one gives none", async () => {
    const pools = await poolsOf(client, NODE);
    const eth3 = pools.find((p) => p.spec.interfaceName === 'eth3');
    if (eth3 === undefined) throw new Error('no IPPool for eth3');
    const gateway = eth3.spec.podCIDR.replace(/\.0\/24$/, '.254');
    const setGateway = (value: string | null): Promise<unknown> =>
      client.request({
        method: 'PATCH',
        path: `${GROUP}/ippools/${eth3.metadata.name}`,
        contentType: 'application/merge-patch+json',
        body: { spec: { gateway: value } },
      });
    await setGateway(gateway);
    try {
      const added = await eventually(async () => {
        const res = await allocate('gw', ['eth3', 'eth1']);
        expect(res.body.allocations.map((a) => [a.interfaceName, a.gateway])).toEqual([
          ['eth3', gateway],
          ['eth1', undefined],
        ]);
        return res;
      });
      const found = await sock.post('/v1/lookup', { network: 'net-a', containerID: 'gw', ifname: 'net1' });
      expect(found.body).toEqual({ allocations: added.body.allocations });
      expect((await release('gw')).status).toBe(200);
    } finally {
      await setGateway(null);
    }
    await eventually(async () => {
      const res = await allocate('gw-gone', ['eth3']);
      expect(res.body.allocations[0]?.gateway).toBeUndefined();
      expect((await release('gw-gone')).status).toBe(200);
    });
  });

  it('200 concurrent allocations and releases: no address twice, and the IPPool status equals the live allocations', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `storm-${i}`);
    const first = await Promise.all(ids.map((id) => allocate(id, ['eth1', 'eth3'])));
    expect(first.every((r) => r.status === 200)).toBe(true);
    const addrs = first.flatMap((r) => r.body.allocations.map((a) => a.address));
    expect(new Set(addrs).size).toBe(400);
    // Release the even ones while 100 more arrive, all at once.
    const more = ids.slice(0, 100).map((id) => `${id}-b`);
    const second = await Promise.all([
      ...ids.filter((_, i) => i % 2 === 0).map((id) => release(id)),
      ...more.map((id) => allocate(id, ['eth1', 'eth3'])),
    ]);
    expect(second.every((r) => r.status === 200)).toBe(true);
    const live = held();
    const liveAddresses = live.map((l) => l.split(' ')[0]);
    expect(new Set(liveAddresses).size).toBe(live.length);
    expect(live).toHaveLength(2 * (100 + 100));
    await theAgent().hooks.mirrorIdle();
    await eventually(async () => expect(await mirroredAllocations(client, NODE)).toEqual(held()));
  });

  it('while the API server is down, allocation continues; the mirror converges once it is back', async () => {
    const mirrorErrors = async (): Promise<number> =>
      (await theAgent().metrics.mirrorWrites.get()).values.find((v) => v.labels['outcome'] === 'error')?.value ?? 0;
    const errorsBefore = await mirrorErrors();
    await env?.stopApiServer();
    const during = await Promise.all(Array.from({ length: 20 }, (_, i) => allocate(`outage-${i}`, ['eth2'])));
    expect(during.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 200));
    expect((await release('storm-1')).body.released).toHaveLength(2);
    // The mirror really tried and failed while the server was down (so what follows is its catching up).
    await eventually(async () => expect(await mirrorErrors()).toBeGreaterThan(errorsBefore));
    await env?.startApiServer();
    await eventually(async () => expect(await mirroredAllocations(client, NODE)).toEqual(held()), 60_000);
    expect(held().filter((h) => h.includes('outage-'))).toHaveLength(20);
  }, 120_000);

  it('CNI GC releases everything of the network that is not a valid attachment', async () => {
    const keep = held()
      .map((h) => h.split(' ')[1] ?? '')
      .filter((c) => c.startsWith('outage-'));
    const res = await sock.post<{ released: number; kept: number }>('/v1/gc', {
      network: 'net-a',
      validAttachments: [...new Set(keep)].map((containerID) => ({ containerID, ifname: 'net1' })),
    });
    expect(res.status).toBe(200);
    expect(res.body.kept).toBe(20);
    expect(held()).toHaveLength(20);
  });
});

describe('pod garbage collection', () => {
  const pod = (name: string): Record<string, unknown> => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName: NODE, containers: [{ name: 'c', image: 'example.invalid/none' }] },
  });

  it("frees the addresses of a deleted pod after the grace period, and keeps a live pod's", async () => {
    await sock.post('/v1/gc', { network: 'net-a', validAttachments: [] });
    const live = await client.request<{ metadata: { uid: string } }>({
      method: 'POST',
      path: '/api/v1/namespaces/default/pods',
      body: pod('live'),
    });
    const dead = await client.request<{ metadata: { uid: string } }>({
      method: 'POST',
      path: '/api/v1/namespaces/default/pods',
      body: pod('dead'),
    });
    for (const [c, uid] of [
      ['c-live', live.metadata.uid],
      ['c-dead', dead.metadata.uid],
    ] as const) {
      const res = await sock.post(
        '/v1/allocate',
        allocateRequest({ network: 'net-a', containerID: c, podUID: uid, nics: ['eth1'] }),
      );
      expect(res.status).toBe(200);
    }
    await client.request({
      method: 'DELETE',
      path: '/api/v1/namespaces/default/pods/dead',
      query: { gracePeriodSeconds: '0' },
    });
    const freedBefore = (await theAgent().metrics.gcFreed.get()).values[0]?.value ?? 0;
    now += 1_000;
    await eventually(async () => {
      await theAgent().hooks.gcNow();
      // Within the grace period nothing is freed, even though the pod is gone.
      expect(held()).toHaveLength(2);
    });
    now += GRACE_MS;
    await eventually(async () => {
      await theAgent().hooks.gcNow();
      expect(held().map((h) => h.split(' ')[1])).toEqual(['c-live']);
    }, 30_000);
    expect((await theAgent().metrics.gcFreed.get()).values[0]?.value).toBe(freedBefore + 1);
  }, 60_000);
});

describe('routes', () => {
  interface KernelRoute {
    dst: string;
    gateway?: string | undefined;
    dev?: string | undefined;
  }

  it("programs the network's table (not colliding with a table in use), its rules, and reports the status; idempotent and self-healing", async () => {
    const h = theHost();
    await theAgent().hooks.syncRoutesNow();
    const table = theAgent().hooks.routeTables()['net-a'];
    expect(table).toBe(1001);
    const cidr = await client.request<{ spec: Parameters<typeof routesForHost>[0] }>({
      method: 'GET',
      path: `${GROUP}/cidrs/net-a`,
    });
    const planned = routesForHost(cidr.spec, NODE, 0).map((r) => ({ dst: r.dst, gateway: r.via, dev: r.dev }));
    const kernel = (): KernelRoute[] =>
      h
        .json<KernelRoute[]>(['route', 'show', 'table', String(table)])
        .map((r) => ({ dst: r.dst, gateway: r.gateway, dev: r.dev }));
    expect(kernel()).toEqual(planned);
    expect(planned.length).toBeGreaterThan(0);
    const rules = (): string[] =>
      h
        .json<{ priority: number; src?: string; srclen?: number; table: string }[]>(['rule', 'show'])
        .filter((r) => r.table === String(table))
        .map((r) => `${r.priority} from ${r.src}/${r.srclen}`);
    expect(rules()).toEqual(cidr.spec.cidr.map((e) => `1000 from ${e.vlanCIDR}`));
    const status = await eventually(async () => {
      const hi = await hostInterface();
      expect(hi.status?.routes).toEqual([
        { network: 'net-a', status: 'Success', table: 1001, tableName: 'mn-net-a', routes: planned.length },
      ]);
      return hi.status?.routes;
    });
    expect(status).toHaveLength(1);
    // Someone deletes a route: the next sync puts it back and changes nothing else.
    ip(['-n', h.ns, 'route', 'del', planned[0]?.dst ?? '', 'table', String(table)]);
    await theAgent().hooks.syncRoutesNow();
    expect(kernel()).toEqual(planned);
    expect(h.json<KernelRoute[]>(['route', 'show', 'table', '1000']).map((r) => r.dst)).toEqual(['10.99.0.0/24']);
  });

  it('an agent that lost its checkpoint takes its tables over from the names file instead of picking new ones', async () => {
    const config = AgentConfigSchema.parse({
      nodeName: NODE,
      socketPath: path.join(dir, 'run2', 'agent.sock'),
      stateDir: path.join(dir, 'state2'),
      metrics: { host: '127.0.0.1', port: 0 },
      discovery: { enabled: false },
      gc: { enabled: false },
      routes: { resyncMs: 60_000, rtTablesDir: path.join(dir, 'iproute2') },
    });
    const fresh = await Agent.start({
      config,
      log: pino({ level: 'silent' }),
      kubeConfig: (env as TestEnv).kubeConfig,
      host: theHost().ops(),
    });
    try {
      await eventually(async () => {
        await fresh.hooks.syncRoutesNow();
        expect(fresh.hooks.routeTables()).toEqual({ 'net-a': 1001 });
      });
    } finally {
      await fresh.stop();
    }
  });

  it("removes the table's routes and rules when the network goes away, and leaves other tables alone", async () => {
    const h = theHost();
    const table = theAgent().hooks.routeTables()['net-a'];
    await client.request({ method: 'DELETE', path: `${GROUP}/cidrs/net-a` });
    await eventually(async () => {
      await theAgent().hooks.syncRoutesNow();
      expect(h.json<unknown[]>(['route', 'show', 'table', String(table)])).toEqual([]);
    });
    expect(h.json<{ table: string }[]>(['rule', 'show']).filter((r) => r.table === String(table))).toEqual([]);
    expect(theAgent().hooks.routeTables()).toEqual({});
    expect(h.json<KernelRoute[]>(['route', 'show', 'table', '1000']).map((r) => r.dst)).toEqual(['10.99.0.0/24']);
  });
});

describe('operability', () => {
  it('serves Prometheus metrics and /healthz on the metrics port only', async () => {
    const base = `http://127.0.0.1:${theAgent().metricsPort}`;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^multinic_agent_allocations_total\{network="net-a"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^multinic_agent_releases_total\{cause="pod-gc"\} 1$/m);
    expect(metrics).toMatch(/^multinic_agent_checkpoint_write_seconds_count [1-9]\d*$/m);
    expect(metrics).toMatch(
      /^multinic_agent_request_duration_seconds_bucket\{le="0.005",call="\/v1\/allocate",status="200"\} \d+$/m,
    );
    expect(metrics).toMatch(/^multinic_agent_nics 3$/m);
    const health = await fetch(`${base}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'ok\n']);
  });
});

describe('discovery follows the host', () => {
  it('a NIC that disappears is removed from the HostInterface', async () => {
    ip(['-n', theHost().ns, 'link', 'del', 'eth3']);
    await eventually(async () =>
      expect((await hostInterface()).spec.interfaces.map((n) => n.interfaceName)).toEqual(['eth1', 'eth2']),
    );
  });

  it('routes that cannot be programmed (the plan names a NIC the host no longer has) are reported Failed, with a metric', async () => {
    const stale: PlanHost = {
      hostName: NODE,
      interfaces: [{ interfaceName: 'eth3', netAddress: '10.10.2.0/24', hostIP: '10.10.2.2' }],
    };
    await createNetwork(client, { name: 'net-c', subnet: '172.30.0.0/16', hosts: [stale, ...peers] });
    // An L2 network needs no host routes: it gets no table and no report.
    const me: PlanHost = {
      hostName: NODE,
      interfaces: [{ interfaceName: 'eth1', netAddress: '10.10.1.0/24', hostIP: '10.10.1.2' }],
    };
    await createNetwork(client, { name: 'net-l2', subnet: '172.31.0.0/16', hosts: [me, ...peers], vlanMode: 'l2' });
    await eventually(async () => {
      await theAgent().hooks.syncRoutesNow();
      const routes = (await hostInterface()).status?.routes ?? [];
      expect(routes.map((r) => [r.network, r.status])).toEqual([['net-c', 'Failed']]);
      expect(routes[0]?.message).toMatch(/eth3|Cannot find device/);
    });
    expect(
      (await theAgent().metrics.routeErrors.get()).values.find((v) => v.labels['network'] === 'net-c')?.value,
    ).toBeGreaterThan(0);
    expect(Object.keys(theAgent().hooks.routeTables())).toEqual(['net-c']);
  });
});

describe('watch scope', () => {
  it("IPPools and pods of other nodes never reach the agent's caches: the API server filters by label and field", async () => {
    const pod = (name: string, nodeName: string): Record<string, unknown> => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: { nodeName, containers: [{ name: 'c', image: 'example.invalid/none' }] },
    });
    // The other node's pod first: one watch delivers in order, so once ours is cached, theirs would have been too.
    await client.request({
      method: 'POST',
      path: '/api/v1/namespaces/default/pods',
      body: pod('elsewhere', 'node-other'),
    });
    await client.request({ method: 'POST', path: '/api/v1/namespaces/default/pods', body: pod('here', NODE) });
    const all = await client.request<{ items: { metadata: { name: string }; spec: { hostName: string } }[] }>({
      method: 'GET',
      path: `${GROUP}/ippools`,
    });
    const mine = all.items
      .filter((p) => p.spec.hostName === NODE)
      .map((p) => p.metadata.name)
      .sort();
    expect(mine.length).toBeGreaterThan(0);
    expect(all.items.length).toBeGreaterThan(mine.length);
    await eventually(() => expect(theAgent().hooks.watched().pods).toContain('default/here'));
    expect(theAgent().hooks.watched().pods).not.toContain('default/elsewhere');
    await eventually(() => expect([...theAgent().hooks.watched().pools].sort()).toEqual(mine));
  });
});
