// An agent that restarts without its checkpoint (a new disk, a lost state directory) while its IPPool status was
// emptied or damaged must not hand out the addresses live pods still use: it rebuilds from the status *and* from the
// network-status annotations of the pods on its node before it serves a pool (issue 23, "the record cannot be
// corrupted silently"). Real API server; pod GC off, so the pods watch is started for the rebuild alone.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AllocateResponse } from '@multinic/crd-types';
import { NETWORK_STATUS_ANNOTATION } from '@multinic/crd-types';
import type { KubeClient } from '@multinic/kube';
import { startTestEnv, type TestEnv } from '@multinic/testenv';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { Agent } from '../src/agent.js';
import type { AgentConfig } from '../src/config.js';
import { AgentConfigSchema } from '../src/config.js';
import {
  GROUP,
  SocketClient,
  allocateRequest,
  allocatedAddresses,
  createNetwork,
  eventually,
  heldByPod,
  kube,
  mirroredByPod,
  tearDown,
  poolsOf,
} from './helpers.js';

const NODE = 'node-rb';
const NETWORK = 'net-rb';
let env: TestEnv | undefined;
let agent: Agent | undefined;
let client: KubeClient;
let dir: string;
let config: AgentConfig;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mn-rebuild-'));
  env = await startTestEnv({ controllerManager: false });
  client = kube(env.kubeConfig);
  await createNetwork(client, {
    name: NETWORK,
    subnet: '172.22.0.0/16',
    hosts: [
      {
        hostName: NODE,
        interfaces: [
          { interfaceName: 'eth1', netAddress: '10.22.1.0/24', hostIP: '10.22.1.2' },
          { interfaceName: 'eth2', netAddress: '10.22.2.0/24', hostIP: '10.22.2.2' },
        ],
      },
    ],
  });
  config = AgentConfigSchema.parse({
    nodeName: NODE,
    socketPath: path.join(dir, 'agent.sock'),
    stateDir: path.join(dir, 'state'),
    kubeconfig: env.kubeconfigPath,
    metrics: { host: '127.0.0.1', port: 0 },
    discovery: { enabled: false },
    routes: { enabled: false },
    gc: { enabled: false },
    mirror: { batchMs: 20, retryMs: 100 },
  });
}, 180_000);

afterAll(() => tearDown({ agent, client, env, dir }), 60_000);

const log = (): Logger => pino({ level: 'info' }, pino.destination({ dest: path.join(dir, 'agent.log'), sync: true }));

async function startAgent(): Promise<{ agent: Agent; sock: SocketClient }> {
  if (env === undefined) throw new Error('no test environment');
  agent = await Agent.start({ config, log: log(), kubeConfig: env.kubeConfig });
  const sock = new SocketClient(config.socketPath);
  await eventually(async () =>
    expect((await sock.post('/v1/status', { network: NETWORK })).body).toEqual({ ready: true }),
  );
  return { agent, sock };
}

interface LivePod {
  readonly name: string;
  readonly uid: string;
  readonly containerID: string;
  /** `pool/address` of each NIC. */
  readonly addresses: string[];
}

function allocateBody(options: { name: string; uid: string; containerID: string }): Record<string, unknown> {
  const { name, uid, containerID } = options;
  return allocateRequest({ network: NETWORK, containerID, podUID: uid, podName: name, nics: ['eth1', 'eth2'] });
}

/** A pod on NODE, allocated through the socket, whose network-status says what Multus would after the ADD. */
async function livePod(sock: SocketClient, name: string): Promise<LivePod> {
  const created = await client.request<{ metadata: { uid: string } }>({
    method: 'POST',
    path: '/api/v1/namespaces/default/pods',
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: { nodeName: NODE, containers: [{ name: 'c', image: 'example.invalid/none' }] },
    },
  });
  const uid = created.metadata.uid;
  const containerID = `sandbox-${name}`;
  const res = await sock.post<AllocateResponse>('/v1/allocate', allocateBody({ name, uid, containerID }));
  expect(res.status).toBe(200);
  const status = [
    { name: 'cluster', interface: 'eth0', ips: ['192.168.7.7'], default: true },
    ...res.body.allocations.map((a) => ({
      name: `default/${NETWORK}`,
      interface: a.podInterface,
      ips: [a.address.split('/')[0]],
    })),
  ];
  await client.request({
    method: 'PATCH',
    path: `/api/v1/namespaces/default/pods/${name}`,
    contentType: 'application/merge-patch+json',
    body: { metadata: { annotations: { [NETWORK_STATUS_ANNOTATION]: JSON.stringify(status) } } },
  });
  return { name, uid, containerID, addresses: allocatedAddresses(res.body) };
}

describe('restart without a checkpoint, IPPool status emptied or damaged', () => {
  it("takes every live pod's address back from its network-status before serving, and never hands one out again", async () => {
    const first = await startAgent();
    const pods: LivePod[] = [];
    for (const name of ['web-0', 'web-1', 'web-2']) pods.push(await livePod(first.sock, name));
    const expected = pods.flatMap((p) => p.addresses.map((a) => `${a} ${p.uid}`)).sort();
    expect(heldByPod(first.agent)).toEqual(expected);
    first.sock.close();
    await first.agent.stop();
    agent = undefined;

    // The disk is lost, and meanwhile someone emptied one pool's status and gave web-0's address in the other to a pod
    // that does not exist.
    rmSync(config.stateDir, { recursive: true, force: true });
    const [web0] = pods;
    if (web0 === undefined) throw new Error('no pod');
    for (const pool of await poolsOf(client, NODE)) {
      const stolen = web0.addresses.find((a) => a.startsWith(`${pool.metadata.name}/`))?.split('/')[1];
      const intruder = {
        address: stolen ?? '',
        containerID: 'intruder',
        interface: 'net1',
        podName: 'intruder',
        podNamespace: 'default',
        podUID: 'uid-intruder',
      };
      const allocations = pool.spec.interfaceName === 'eth2' ? [intruder] : [];
      await client.request({
        method: 'PUT',
        path: `${GROUP}/ippools/${pool.metadata.name}/status`,
        body: { ...pool, status: { ...pool.status, allocations } },
      });
    }

    const second = await startAgent();
    // Every live pod's address is held again, for that pod; the intruder lost web-0's address to web-0.
    expect(heldByPod(second.agent)).toEqual(expected);
    await eventually(async () => expect(await mirroredByPod(client, NODE)).toEqual(expected));
    // A burst of new allocations never returns an address a live pod holds.
    const burst = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        second.sock.post<AllocateResponse>(
          '/v1/allocate',
          allocateBody({ name: `new-${i}`, uid: `uid-new-${i}`, containerID: `new-${i}` }),
        ),
      ),
    );
    expect(burst.map((r) => r.status)).toEqual(burst.map(() => 200));
    const given = burst.flatMap((r) => allocatedAddresses(r.body));
    const live = new Set(pods.flatMap((p) => p.addresses));
    expect(given.filter((a) => live.has(a))).toEqual([]);
    expect(new Set(given).size).toBe(given.length);
    // The pod's CNI DEL (its real container ID, CNI_IFNAME and UID) releases what was rebuilt for it; CNI GC, which
    // cannot name a rebuilt attachment, leaves the others alone.
    const gc = await second.sock.post<{ released: number }>('/v1/gc', {
      network: NETWORK,
      validAttachments: burst.map((_, i) => ({ containerID: `new-${i}`, ifname: 'net1' })),
    });
    expect(gc.body.released).toBe(0);
    const del = await second.sock.post<{ released: { address: string }[] }>('/v1/release', {
      network: NETWORK,
      containerID: web0.containerID,
      ifname: 'net1',
      podUID: web0.uid,
    });
    expect(del.body.released.map((r) => r.address).sort()).toEqual(web0.addresses.map((a) => a.split('/')[1]).sort());
    second.sock.close();
    const text = readFileSync(path.join(dir, 'agent.log'), 'utf8');
    expect(text).toMatch(/live pod default\/web-0's network-status shows it: the live pod keeps it/);
    expect(text).toMatch(/rebuilt the allocations from IPPool status and the network-status of the pods/);
  }, 120_000);
});
