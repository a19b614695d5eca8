// The real controller and node agent, each authenticated as its ServiceAccount with only the RBAC the chart renders
// (renderRbac, applied with kubectl), against a real control plane with OwnerReferencesPermissionEnforcement on:
// together they turn a MultiNicNetwork into a HostInterface, CIDR, IPPools, NADs, a Ready status, a Lease, an
// Event, an allocation mirrored into IPPool status and route status on the HostInterface — and neither logs a
// single 403. A new API call in either component that the chart does not grant fails this test.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, CoordinationV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { Controller, ControllerMetrics, makeConfig } from '@multinic/controller';
import {
  AGENT_PATHS,
  type AllocateRequest,
  type AllocateResponse,
  type SelectRequest,
  type SelectResponse,
} from '@multinic/crd-types';
import { Agent, AgentConfigSchema, AgentMetrics, run, type HostOps } from '@multinic/node-agent';
import { addNetns, deleteNetns, startTestEnv, type TestEnv } from '@multinic/testenv';
import { pino } from 'pino';
import { refusedRequests, renderRbac, toolBinary } from '../src/index.js';
import { execOk, NAMESPACE } from './support.js';

const NODE = 'ct-node-1';
const PEER = 'ct-node-2';
const NETWORK = 'ct-net';
const BAD_NETWORK = 'ct-too-small';
const GROUP = { group: 'multinic.dev', version: 'v1' };

/** Collects a component's JSON log lines. */
class LogSink extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.lines.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== ''),
    );
    done();
  }
  /** Lines about requests the API server refused for authentication, authorization or validation. */
  refused(): string[] {
    return refusedRequests(this.lines);
  }
}

/** A network namespace acting as the agent's host: eth1 on 10.77.1.0/24, its veth peer in a second namespace. */
class NetnsHost {
  readonly ns = `mn-ct-${randomBytes(3).toString('hex')}`;
  readonly peerNs = `${this.ns}-sw`;

  constructor() {
    const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
    addNetns(this.ns);
    addNetns(this.peerNs);
    ip('-n', this.ns, 'link', 'set', 'lo', 'up');
    ip('-n', this.ns, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'p-eth1', 'netns', this.peerNs);
    ip('-n', this.peerNs, 'link', 'set', 'p-eth1', 'up');
    ip('-n', this.ns, 'addr', 'add', '10.77.1.2/24', 'dev', 'eth1');
    ip('-n', this.ns, 'link', 'set', 'eth1', 'up');
  }

  /** `ip -n <ns>`; sysfs readings are not needed for veth NICs (speed, PCI data stay empty). */
  ops(): HostOps {
    return {
      ip: (args, stdin) =>
        run('ip', stdin === undefined ? { args: ['-n', this.ns, ...args] } : { args: ['-n', this.ns, ...args], stdin }),
      sysfs: async () => ({}),
    };
  }

  destroy(): void {
    for (const ns of [this.ns, this.peerNs]) deleteNetns(ns);
  }
}

function post<T>(socketPath: string, urlPath: string, body: unknown): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath, path: urlPath, method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as T }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

async function eventually<T>(what: string, fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await fn();
    } catch (err) {
      last = err;
      await sleep(200);
    }
  }
  throw new Error(`${what}: not within ${timeoutMs} ms: ${String(last)}`);
}

let env: TestEnv | undefined;
let host: NetnsHost | undefined;
let dir: string;
let controller: Controller | undefined;
let agent: Agent | undefined;
const controllerLog = new LogSink();
const agentLog = new LogSink();

function started(): TestEnv {
  if (env === undefined) throw new Error('the control plane did not start (see beforeAll)');
  return env;
}

const custom = (): CustomObjectsApi => started().kubeConfig.makeApiClient(CustomObjectsApi);
const getObject = (plural: string, name: string): Promise<Record<string, unknown>> =>
  custom().getClusterCustomObject({ ...GROUP, plural, name }) as Promise<Record<string, unknown>>;

function network(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'multinic.dev/v1',
    kind: 'MultiNicNetwork',
    metadata: { name },
    spec: {
      masterNets: ['10.77.1.0/24'],
      ipam: { type: 'multi-nic-ipam', interfaceBlock: 2, hostBlock: 6, vlanMode: 'l3' },
      multiNICIPAM: true,
      plugin: { cniVersion: '1.0.0', type: 'ipvlan', args: { mode: 'l3' } },
      namespaces: ['default'],
      ...spec,
    },
  };
}

async function startComponents(e: TestEnv): Promise<void> {
  const config = makeConfig({
    identity: 'ct-controller-0',
    httpPort: 0,
    httpAddress: '127.0.0.1',
    leaseNamespace: NAMESPACE,
    leaseName: 'multinic-controller',
    eventNamespace: 'default',
    leaseDurationSeconds: 3,
    renewDeadlineSeconds: 2,
    retryPeriodSeconds: 0.25,
  });
  controller = await Controller.start({
    kubeConfig: await e.serviceAccountKubeConfig(NAMESPACE, 'multinic-controller'),
    config,
    logger: pino({ level: 'info' }, controllerLog),
    metrics: new ControllerMetrics(),
  });
  const agentConfig = AgentConfigSchema.parse({
    nodeName: NODE,
    socketPath: path.join(dir, 'run', 'agent.sock'),
    stateDir: path.join(dir, 'state'),
    metrics: { host: '127.0.0.1', port: 0 },
    discovery: { pollMs: 300 },
    routes: { resyncMs: 300, rtTablesDir: '' },
    gc: { graceMs: 60_000, intervalMs: 300 },
    mirror: { batchMs: 20, retryMs: 100 },
    shutdownTimeoutMs: 2_000,
  });
  agent = await Agent.start({
    config: agentConfig,
    log: pino({ level: 'info' }, agentLog),
    kubeConfig: await e.serviceAccountKubeConfig(NAMESPACE, 'multinic-agent'),
    host: (host as NetnsHost).ops(),
    metrics: new AgentMetrics(),
  });
}

beforeAll(async () => {
  const kubectl = toolBinary('kubectl');
  dir = mkdtempSync(path.join(tmpdir(), 'mn-chart-components-'));
  host = new NetnsHost();
  env = await startTestEnv({ apiServerArgs: ['--enable-admission-plugins=OwnerReferencesPermissionEnforcement'] });
  const k = (args: string[], stdin?: string): Promise<string> =>
    execOk(kubectl, ['--kubeconfig', started().kubeconfigPath, ...args], stdin === undefined ? {} : { stdin });
  await k(['create', 'namespace', NAMESPACE]);
  await k(['apply', '-f', '-'], await renderRbac({ namespace: NAMESPACE }));
  // The agent's node and a peer host (whose agent is not running here), so this node has a route to program.
  const core = env.kubeConfig.makeApiClient(CoreV1Api);
  for (const name of [NODE, PEER])
    await core.createNode({ body: { apiVersion: 'v1', kind: 'Node', metadata: { name } } });
  await custom().createClusterCustomObject({
    ...GROUP,
    plural: 'hostinterfaces',
    body: {
      apiVersion: 'multinic.dev/v1',
      kind: 'HostInterface',
      metadata: { name: PEER },
      spec: {
        hostName: PEER,
        interfaces: [{ interfaceName: 'eth1', netAddress: '10.77.1.0/24', hostIP: '10.77.1.3' }],
      },
    },
  });
  await startComponents(env);
}, 180_000);

afterAll(async () => {
  await agent?.stop().catch(() => undefined);
  await controller?.stop().catch(() => undefined);
  await env?.stop();
  host?.destroy();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("controller and agent under the chart's RBAC", () => {
  it('the agent discovers its NIC and writes its HostInterface (server-side apply creates it)', async () => {
    const hi = await eventually('HostInterface of the agent', async () => {
      const obj = (await getObject('hostinterfaces', NODE)) as {
        spec: { interfaces: { interfaceName: string; hostIP: string }[] };
      };
      expect(obj.spec.interfaces.map((n) => `${n.interfaceName}=${n.hostIP}`)).toEqual(['eth1=10.77.1.2']);
      return obj;
    });
    expect(hi).toBeDefined();
  });

  it('the controller takes the Lease and turns a network into a CIDR, IPPools, a NAD and a Ready status', async () => {
    await custom().createClusterCustomObject({
      ...GROUP,
      plural: 'multinicnetworks',
      body: network(NETWORK, { subnet: '192.168.0.0/16' }),
    });
    const lease = await eventually('Lease', () =>
      started()
        .kubeConfig.makeApiClient(CoordinationV1Api)
        .readNamespacedLease({ name: 'multinic-controller', namespace: NAMESPACE }),
    );
    expect(lease.spec?.holderIdentity).toBe('ct-controller-0');
    await eventually('network Ready', async () => {
      const net = (await getObject('multinicnetworks', NETWORK)) as {
        status?: { conditions?: { type: string; status: string; message: string }[] };
      };
      expect(net.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });
    });
    const pools = (await custom().listClusterCustomObject({ ...GROUP, plural: 'ippools' })) as {
      items: { spec: { network: string; hostName: string } }[];
    };
    expect(
      pools.items
        .filter((p) => p.spec.network === NETWORK)
        .map((p) => p.spec.hostName)
        .sort(),
    ).toEqual([NODE, PEER]);
    await expect(getObject('cidrs', NETWORK)).resolves.toMatchObject({ metadata: { name: NETWORK } });
    const nad = await custom().getNamespacedCustomObject({
      group: 'k8s.cni.cncf.io',
      version: 'v1',
      plural: 'network-attachment-definitions',
      namespace: 'default',
      name: NETWORK,
    });
    expect(
      (nad as { metadata: { ownerReferences: { blockOwnerDeletion: boolean }[] } }).metadata.ownerReferences[0]
        ?.blockOwnerDeletion,
    ).toBe(true);
  });

  it('the controller records an Event about a network it cannot plan (in namespace default)', async () => {
    // Two hosts but hostBlock 0 leaves room for one: a capacity problem, reported as a Warning Event.
    await custom().createClusterCustomObject({
      ...GROUP,
      plural: 'multinicnetworks',
      body: network(BAD_NETWORK, {
        subnet: '10.200.0.0/24',
        ipam: { type: 'multi-nic-ipam', interfaceBlock: 0, hostBlock: 0, vlanMode: 'l3' },
      }),
    });
    const core = started().kubeConfig.makeApiClient(CoreV1Api);
    const event = await eventually(
      'Event',
      async () => {
        const events = await core.listNamespacedEvent({ namespace: 'default' });
        const found = events.items.find((e) => e.involvedObject.name === BAD_NETWORK && e.type === 'Warning');
        if (found === undefined)
          throw new Error(
            `no Warning Event about ${BAD_NETWORK} yet; log: ${controllerLog.lines.filter((l) => /event/i.test(l)).join('\n')}`,
          );
        return found;
      },
      10_000,
    );
    expect(event.message).toMatch(/host/);
  });

  it('an allocation over the socket is mirrored into the IPPool status by the agent', async () => {
    const socket = path.join(dir, 'run', 'agent.sock');
    const pod = { name: 'ct-pod', namespace: 'default', uid: 'ct-pod-uid' };
    const select: SelectRequest = { network: NETWORK, containerID: 'ct-c1', ifname: 'net1', pod };
    const selected = await eventually('select', async () => {
      const res = await post<SelectResponse>(socket, AGENT_PATHS.select, select);
      expect(res.status).toBe(200);
      expect(res.body.nics).toHaveLength(1);
      return res.body;
    });
    const allocate: AllocateRequest = {
      network: NETWORK,
      containerID: 'ct-c1',
      ifname: 'net1',
      pod,
      nics: selected.nics,
    };
    const allocated = await post<AllocateResponse>(socket, AGENT_PATHS.allocate, allocate);
    expect(allocated.status).toBe(200);
    await eventually('IPPool status', async () => {
      const pools = (await custom().listClusterCustomObject({ ...GROUP, plural: 'ippools' })) as {
        items: { spec: { network: string; hostName: string }; status?: { allocations?: { containerID: string }[] } }[];
      };
      const mine = pools.items.find((p) => p.spec.network === NETWORK && p.spec.hostName === NODE);
      expect(mine?.status?.allocations?.map((a) => a.containerID)).toEqual(['ct-c1']);
    });
  });

  it('the agent programs the route to the peer and reports it on its HostInterface status', async () => {
    await eventually('route status', async () => {
      const hi = (await getObject('hostinterfaces', NODE)) as {
        status?: { routes?: { network: string; status: string; routes: number }[] };
      };
      expect(hi.status?.routes?.find((r) => r.network === NETWORK)).toMatchObject({ status: 'Success', routes: 1 });
    });
  });

  it('neither component was refused anything (no 401, 403 or 422 in their logs)', async () => {
    // A few more resync rounds (pod GC, routes, discovery, lease renewals) before looking.
    await sleep(1_500);
    expect(controllerLog.lines.length).toBeGreaterThan(0);
    expect(agentLog.lines.length).toBeGreaterThan(0);
    expect(controllerLog.refused()).toEqual([]);
    expect(agentLog.refused()).toEqual([]);
  });
});
