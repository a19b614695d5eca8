// Switching from multi-nic-cni: its IPPools (allocations in spec, keyed by pod name) go through `multinic migrate`'s
// conversion and `kubectl apply`, then the agent starts on that host without a checkpoint. The pods that hold the
// addresses have no network-status annotation here, so the converted IPPool status is the only record of them: the
// agent must adopt it, never hand one of those addresses to a new pod, keep them through pod GC while their pods
// exist, and free them once a pod is gone or its CNI DEL comes (issue 14). Real API server and kubectl.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CONVERTED_CONTAINER_PREFIX, migrateObjects } from '@multinic/cli';
import type { AllocateResponse } from '@multinic/crd-types';
import type { KubeClient } from '@multinic/kube';
import { startTestEnv, toolPath, type TestEnv } from '@multinic/testenv';
import { pino } from 'pino';
import { Agent } from '../src/agent.js';
import { AgentConfigSchema } from '../src/config.js';
import { REBUILT_CONTAINER_PREFIX } from '../src/ipam/rebuild.js';
import {
  SocketClient,
  allocateRequest,
  allocatedAddresses,
  eventually,
  heldByPod,
  kube,
  mirroredByPod,
  tearDown,
} from './helpers.js';

const NODE = 'node-mig';
const NETWORK = 'mig-net';
const LEGACY = 'multinic.fms.io/v1';
const PODS = ['web-0', 'web-1', 'web-2', 'web-3', 'web-4'];
// multi-nic-cni's layout on this host: interface index 0 is the 10.23.2.0/24 NIC network (eth2), 1 is 10.23.1.0/24
// (eth1), and the host got index 3 (hosts before it left): not what a fresh plan would choose (eth1 first, index 0).
const BLOCKS = [
  { nic: 'eth2', net: '10.23.2.0/24', hostIP: '10.23.2.7', index: 0, vlan: '172.23.0.0/18', pod: '172.23.3.0/24' },
  { nic: 'eth1', net: '10.23.1.0/24', hostIP: '10.23.1.7', index: 1, vlan: '172.23.64.0/18', pod: '172.23.67.0/24' },
] as const;
const podAddress = (block: (typeof BLOCKS)[number], i: number): string =>
  `${block.pod.split('.').slice(0, 3).join('.')}.${10 + i}`;

let env: TestEnv | undefined;
let agent: Agent | undefined;
let client: KubeClient;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mn-migrate-'));
  env = await startTestEnv({ controllerManager: false });
  client = kube(env.kubeConfig);
}, 180_000);

afterAll(() => tearDown({ agent, client, env, dir }), 60_000);

/** What multi-nic-cni's operator and daemon left in the cluster for this network and host. */
function legacyObjects(): Record<string, unknown>[] {
  const network = {
    apiVersion: LEGACY,
    kind: 'MultiNicNetwork',
    metadata: { name: NETWORK, uid: 'old-uid', resourceVersion: '9' },
    spec: {
      subnet: '172.23.0.0/16',
      ipam: '{"type": "multi-nic-ipam", "hostBlock": 6, "interfaceBlock": 2, "vlanMode": "l3"}',
      multiNicIPAM: true,
      plugin: { cniVersion: '0.3.0', type: 'ipvlan', args: { mode: 'l3' } },
      attachPolicy: { strategy: 'none' },
    },
  };
  const hostInterface = {
    apiVersion: LEGACY,
    kind: 'HostInterface',
    metadata: { name: NODE },
    spec: {
      hostName: NODE,
      interfaces: BLOCKS.map((b) => ({ interfaceName: b.nic, netAddress: b.net, hostIP: b.hostIP })),
    },
  };
  const cidr = {
    apiVersion: LEGACY,
    kind: 'CIDR',
    metadata: { name: NETWORK },
    spec: {
      config: {
        name: NETWORK,
        type: 'multi-nic-ipam',
        subnet: '172.23.0.0/16',
        masterNets: BLOCKS.map((b) => b.net),
        hostBlock: 6,
        interfaceBlock: 2,
        vlanMode: 'l3',
      },
      cidr: BLOCKS.map((b) => ({
        netAddress: b.net,
        interfaceIndex: b.index,
        vlanCIDR: b.vlan,
        hosts: [
          {
            hostIndex: 3,
            hostName: NODE,
            interfaceName: b.nic,
            hostIP: b.hostIP,
            podCIDR: b.pod,
            ippool: `${NETWORK}-${b.pod.replace('/', '-')}`,
          },
        ],
      })),
    },
  };
  const pools = BLOCKS.map((b) => ({
    apiVersion: LEGACY,
    kind: 'IPPool',
    metadata: { name: `${NETWORK}-${b.pod.replace('/', '-')}`, labels: { hostname: NODE, netname: NETWORK } },
    spec: {
      podCIDR: b.pod,
      vlanCIDR: b.vlan,
      netAttachDef: NETWORK,
      hostName: NODE,
      interfaceName: b.nic,
      excludes: [],
      allocations: [
        ...PODS.map((pod, i) => ({ pod, namespace: 'default', index: 10 + i, address: podAddress(b, i) })),
        // a pod that is gone: its address is not carried over
        { pod: 'gone', namespace: 'default', index: 9, address: podAddress(b, -1) },
      ],
    },
  }));
  return [network, hostInterface, cidr, ...pools];
}

function kubectl(args: readonly string[]): string {
  if (env === undefined) throw new Error('no test environment');
  return execFileSync(toolPath('kubectl'), [...args], {
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: env.kubeconfigPath },
  });
}

function allocateBody(options: { name: string; uid: string; containerID: string }): Record<string, unknown> {
  const { name, uid, containerID } = options;
  return allocateRequest({ network: NETWORK, containerID, podUID: uid, podName: name, nics: ['eth1', 'eth2'] });
}

describe('switching from multi-nic-cni', () => {
  it('the agent adopts the migrated allocations, never hands one out, and keeps them while their pods exist', async () => {
    if (env === undefined) throw new Error('no test environment');
    // The pods multi-nic-cni attached (Multus' networks annotation; no network-status, so nothing else records them).
    const uids = new Map<string, string>();
    for (const name of PODS) {
      const created = await client.request<{ metadata: { uid: string } }>({
        method: 'POST',
        path: '/api/v1/namespaces/default/pods',
        body: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, namespace: 'default', annotations: { 'k8s.v1.cni.cncf.io/networks': NETWORK } },
          spec: { nodeName: NODE, containers: [{ name: 'c', image: 'example.invalid/none' }] },
        },
      });
      uids.set(name, created.metadata.uid);
    }
    const podList = await client.request<Record<string, unknown>>({ method: 'GET', path: '/api/v1/pods' });

    // multinic migrate's conversion, then kubectl apply: the objects, then the IPPools' status.
    const { objects, notes, allocations } = migrateObjects([
      ...legacyObjects().map((value, i) => ({ place: `cluster.yaml (document ${i + 1})`, value })),
      { place: 'pods.yaml', value: podList },
    ]);
    expect(allocations).toBe(PODS.length * BLOCKS.length);
    expect(notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/spec\.allocations\[5\] not carried over: pod default\/gone is not among the pods given/),
      ]),
    );
    const file = path.join(dir, 'v1.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
    kubectl(['apply', '--server-side', '-f', file]);
    // Only the IPPools carry a status (and only they have the host label): what migrate tells the user to run.
    kubectl(['apply', '--server-side', '--subresource=status', '-l', 'multinic.dev/host', '-f', file]);

    // The names multi-nic-cni gave the pools are multinic's, and the status now holds every live pod's addresses.
    const expected = BLOCKS.flatMap((b) =>
      PODS.map((pod, i) => `${NETWORK}-${b.pod.replace('/', '-')}/${podAddress(b, i)} ${uids.get(pod) ?? ''}`),
    ).sort();
    expect(await mirroredByPod(client, NODE)).toEqual(expected);

    // The agent starts on that host with no checkpoint; pod GC on, with a grace period that has passed at once.
    const config = AgentConfigSchema.parse({
      nodeName: NODE,
      socketPath: path.join(dir, 'agent.sock'),
      stateDir: path.join(dir, 'state'),
      kubeconfig: env.kubeconfigPath,
      metrics: { host: '127.0.0.1', port: 0 },
      discovery: { enabled: false },
      routes: { enabled: false },
      gc: { enabled: true, graceMs: 1, intervalMs: 3_600_000 },
      mirror: { batchMs: 20, retryMs: 100 },
    });
    const log = pino({ level: 'info' }, pino.destination({ dest: path.join(dir, 'agent.log'), sync: true }));
    agent = await Agent.start({ config, log, kubeConfig: env.kubeConfig });
    const running = agent;
    const sock = new SocketClient(config.socketPath);
    await eventually(async () =>
      expect((await sock.post('/v1/status', { network: NETWORK })).body).toEqual({ ready: true }),
    );
    expect(heldByPod(running)).toEqual(expected);

    // A burst of 50 new pods: none gets an address a running pod holds, none gets one twice.
    const burst = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        sock.post<AllocateResponse>(
          '/v1/allocate',
          allocateBody({ name: `new-${i}`, uid: `uid-new-${i}`, containerID: `new-${i}` }),
        ),
      ),
    );
    expect(burst.map((r) => r.status)).toEqual(burst.map(() => 200));
    const given = burst.flatMap((r) => allocatedAddresses(r.body));
    expect(given).toHaveLength(100);
    const migrated = new Set(expected.map((e) => e.split(' ')[0]));
    expect(given.filter((a) => migrated.has(a))).toEqual([]);
    expect(new Set(given).size).toBe(given.length);

    // Pod GC frees the burst (those pods do not exist) and keeps every migrated address (their pods do).
    await running.hooks.gcNow();
    expect(heldByPod(running)).toEqual(expected);
    await eventually(async () => expect(await mirroredByPod(client, NODE)).toEqual(expected));

    // A migrated pod's CNI DEL (any container ID, its CNI_IFNAME and UID) releases its addresses.
    expect(CONVERTED_CONTAINER_PREFIX).toBe(REBUILT_CONTAINER_PREFIX);
    const web1 = uids.get('web-1') ?? '';
    const del = await sock.post<{ released: { address: string }[] }>('/v1/release', {
      network: NETWORK,
      containerID: 'sandbox-web-1',
      ifname: 'net1',
      podUID: web1,
    });
    expect(del.body.released.map((r) => r.address).sort()).toEqual(BLOCKS.map((b) => podAddress(b, 1)).sort());

    // A migrated pod that is deleted: pod GC frees its addresses, and only those.
    await client.request({
      method: 'DELETE',
      path: '/api/v1/namespaces/default/pods/web-0',
      body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 },
    });
    const web0 = uids.get('web-0') ?? '';
    const rest = expected.filter((e) => !e.endsWith(` ${web0}`) && !e.endsWith(` ${web1}`));
    await eventually(async () => {
      await running.hooks.gcNow();
      expect(heldByPod(running)).toEqual(rest);
    });
    await eventually(async () => expect(await mirroredByPod(client, NODE)).toEqual(rest));
    sock.close();
  }, 180_000);
});
