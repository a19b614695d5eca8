// Test-only plumbing: network namespaces acting as a host, the agent's HostOps for such a namespace, the agent's
// test configuration and start, the control plane objects the controller would write, and a client for the agent's
// unix socket.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { PlanHost } from '@multinic/cidr-core';
import { computePlan } from '@multinic/cidr-core';
import type { AllocateResponse } from '@multinic/crd-types';
import { HOST_LABEL, INTERFACE_LABEL, NETWORK_LABEL } from '@multinic/crd-types';
import { KubeClient } from '@multinic/kube';
import { addNetns, deleteNetns, eventually as pollEventually } from '@multinic/testenv';
import type { TestEnv } from '@multinic/testenv';
import { pino } from 'pino';
import type { AgentConfig, HostOps, SysfsReadings } from '../src/index.js';
import { Agent, AgentConfigSchema, DEFAULT_EXCLUDE_NAMES, run } from '../src/index.js';

export function ip(args: readonly string[]): string {
  return execFileSync('ip', [...args], { encoding: 'utf8' });
}

export interface TestNic {
  readonly name: string;
  readonly cidr?: string;
  /** More addresses on the NIC, address/prefix (e.g. an IPv6 one beside `cidr`). */
  readonly more?: readonly string[];
  /**
   * Run IPv6 duplicate address detection on the NIC's IPv6 addresses (default false: added with `nodad`, so they
   * are usable at once instead of tentative for the first second after the link comes up).
   */
  readonly dad?: boolean;
  readonly up?: boolean;
  readonly defaultVia?: string;
}

/** A "host" namespace whose NICs are veth ends; their peers live in a second namespace (never the root one). */
export class TestHost {
  readonly ns: string;
  readonly peerNs: string;

  constructor() {
    const id = randomBytes(3).toString('hex');
    this.ns = `mn-ag-${id}`;
    this.peerNs = `mn-ag-${id}-sw`;
    addNetns(this.ns);
    addNetns(this.peerNs);
    ip(['-n', this.ns, 'link', 'set', 'lo', 'up']);
  }

  addNic(nic: TestNic): void {
    const peer = `p-${nic.name}`;
    ip(['-n', this.ns, 'link', 'add', nic.name, 'type', 'veth', 'peer', 'name', peer, 'netns', this.peerNs]);
    ip(['-n', this.peerNs, 'link', 'set', peer, 'up']);
    for (const cidr of [...(nic.cidr === undefined ? [] : [nic.cidr]), ...(nic.more ?? [])]) {
      const nodad = cidr.includes(':') && nic.dad !== true ? ['nodad'] : [];
      ip(['-n', this.ns, 'addr', 'add', cidr, 'dev', nic.name, ...nodad]);
    }
    if (nic.up ?? true) ip(['-n', this.ns, 'link', 'set', nic.name, 'up']);
    if (nic.defaultVia !== undefined)
      ip(['-n', this.ns, 'route', 'add', 'default', 'via', nic.defaultVia, 'dev', nic.name]);
  }

  /** ip -j output inside the host namespace. */
  json<T>(args: readonly string[]): T {
    return JSON.parse(ip(['-n', this.ns, '-N', '-j', ...args]) || '[]') as T;
  }

  /** The agent's view of this namespace: `ip -n <ns>` and sysfs as the namespace sees it. */
  ops(): HostOps {
    return {
      ip: (args, stdin) =>
        run('ip', stdin === undefined ? { args: ['-n', this.ns, ...args] } : { args: ['-n', this.ns, ...args], stdin }),
      sysfs: async (interfaces) => readNamespacedSysfs(this.ns, interfaces),
    };
  }

  /** Deletes both namespaces (and with them every link in them). Safe to call twice. */
  destroy(): void {
    for (const ns of [this.ns, this.peerNs]) deleteNetns(ns);
  }
}

const SYSFS_FILES: Record<string, keyof SysfsReadings> = {
  speed: 'speed',
  'device/numa_node': 'numaNode',
  'device/vendor': 'vendor',
  'device/device': 'device',
  'device/uevent': 'uevent',
  'device/sriov_totalvfs': 'sriovTotalVfs',
};

/** `ip netns exec` remounts /sys for the namespace, so this reads the namespace's links. */
async function readNamespacedSysfs(ns: string, interfaces: readonly string[]): Promise<Record<string, SysfsReadings>> {
  const script = `for i in "$@"; do for f in ${Object.keys(SYSFS_FILES).join(' ')}; do v=$(cat "/sys/class/net/$i/$f" 2>/dev/null) && printf '%s\\t%s\\t%s\\n' "$i" "$f" "$(printf %s "$v" | tr '\\n' ';')"; done; done`;
  const res = await run('ip', { args: ['netns', 'exec', ns, 'sh', '-c', script, 'sh', ...interfaces] });
  const out: Record<string, Record<string, string>> = {};
  for (const line of res.stdout.split('\n')) {
    const [name, file, value] = line.split('\t');
    const key = file === undefined ? undefined : SYSFS_FILES[file];
    if (name === undefined || key === undefined || value === undefined) continue;
    out[name] ??= {};
    (out[name] as Record<string, string>)[key] = value.replaceAll(';', '\n');
  }
  return out;
}

// ------------------------------------------------------------------ the agent

/**
 * The agent configuration of these tests: socket (`<dir>/run/agent.sock`) and state in `dir`, metrics on a free
 * port, discovery every 200 ms (default excludes), a test-sized mirror batch, a 2 s shutdown bound. Each section of
 * `overrides` replaces the whole section.
 */
export function agentConfig(dir: string, nodeName: string, overrides: Record<string, unknown> = {}): AgentConfig {
  return AgentConfigSchema.parse({
    nodeName,
    socketPath: path.join(dir, 'run', 'agent.sock'),
    stateDir: path.join(dir, 'state'),
    metrics: { host: '127.0.0.1', port: 0 },
    discovery: { pollMs: 200, excludeNames: [...DEFAULT_EXCLUDE_NAMES] },
    mirror: { batchMs: 20, retryMs: 100 },
    shutdownTimeoutMs: 2_000,
    ...overrides,
  });
}

/** Starts the agent in-process with its log in `<dir>/agent.log`. */
export async function startAgent(options: {
  readonly config: AgentConfig;
  readonly dir: string;
  readonly kubeConfig: KubeConfig;
  readonly host?: HostOps;
  readonly clock?: () => number;
}): Promise<Agent> {
  const { config, dir, kubeConfig, host, clock } = options;
  const log = pino({ level: 'info' }, pino.destination({ dest: path.join(dir, 'agent.log'), sync: true }));
  return Agent.start({
    config,
    log,
    kubeConfig,
    ...(host === undefined ? {} : { host }),
    ...(clock === undefined ? {} : { clock }),
  });
}

/** For afterAll, in this order: the socket client, the agent, the API client, the control plane, the host, `dir`. */
export async function tearDown(parts: {
  readonly sock?: SocketClient | undefined;
  readonly agent?: Agent | undefined;
  readonly client?: KubeClient | undefined;
  readonly env?: TestEnv | undefined;
  readonly host?: TestHost | undefined;
  readonly dir?: string | undefined;
}): Promise<void> {
  parts.sock?.close();
  await parts.agent?.stop().catch(() => undefined);
  parts.client?.close();
  await parts.env?.stop();
  parts.host?.destroy();
  if (parts.dir !== undefined) rmSync(parts.dir, { recursive: true, force: true });
}

// ------------------------------------------------------------------ control-plane objects

export const GROUP = '/apis/multinic.dev/v1';

export function kube(kc: KubeConfig): KubeClient {
  return new KubeClient(kc, { timeoutMs: 5_000 });
}

export interface NetworkFixture {
  readonly name: string;
  readonly subnet: string;
  readonly hosts: readonly PlanHost[];
  /** ipvlan mode (default l3: the mode that needs host routes). */
  readonly vlanMode?: 'l2' | 'l3' | 'l3s';
  /** Host bits of the plan (default 6: with interfaceBlock 2 a /16 gives each (host, NIC) a /24). */
  readonly hostBlock?: number;
  /** The delegate plugin type (default ipvlan). */
  readonly plugin?: string;
}

/** POSTs a MultiNicNetwork with this spec. */
export async function postNetwork(client: KubeClient, name: string, spec: Record<string, unknown>): Promise<void> {
  await client.request({
    method: 'POST',
    path: `${GROUP}/multinicnetworks`,
    body: { apiVersion: 'multinic.dev/v1', kind: 'MultiNicNetwork', metadata: { name }, spec },
  });
}

export interface PoolFixture {
  readonly name: string;
  readonly network: string;
  readonly hostName: string;
  readonly interfaceName: string;
  readonly podCIDR: string;
  readonly vlanCIDR: string;
  readonly excludes: readonly string[];
  readonly gateway?: string;
}

/** POSTs an IPPool labelled with its network, host and NIC, as the controller labels them. */
export async function postPool(client: KubeClient, pool: PoolFixture): Promise<void> {
  const { name, ...spec } = pool;
  await client.request({
    method: 'POST',
    path: `${GROUP}/ippools`,
    body: {
      apiVersion: 'multinic.dev/v1',
      kind: 'IPPool',
      metadata: {
        name,
        labels: { [NETWORK_LABEL]: pool.network, [HOST_LABEL]: pool.hostName, [INTERFACE_LABEL]: pool.interfaceName },
      },
      spec,
    },
  });
}

/** Writes what the controller would: the MultiNicNetwork, the CIDR (the plan) and one IPPool per (host, NIC). */
export async function createNetwork(client: KubeClient, fx: NetworkFixture): Promise<ReturnType<typeof computePlan>> {
  const hostBlock = fx.hostBlock ?? 6;
  const config = { subnet: fx.subnet, interfaceBlock: 2, hostBlock, masterNets: [], excludeCIDRs: [] };
  const result = computePlan({ networkName: fx.name, config, hosts: fx.hosts });
  await postNetwork(client, fx.name, {
    subnet: fx.subnet,
    ipam: { type: 'multi-nic-ipam', hostBlock, interfaceBlock: 2, vlanMode: fx.vlanMode ?? 'l3' },
    plugin: { cniVersion: '1.0.0', type: fx.plugin ?? 'ipvlan' },
  });
  await client.request({
    method: 'POST',
    path: `${GROUP}/cidrs`,
    body: { apiVersion: 'multinic.dev/v1', kind: 'CIDR', metadata: { name: fx.name }, spec: result.plan },
  });
  for (const pool of result.ippools) {
    await postPool(client, {
      name: pool.name,
      network: fx.name,
      hostName: pool.hostName,
      interfaceName: pool.interfaceName,
      podCIDR: pool.podCIDR,
      vlanCIDR: pool.vlanCIDR,
      excludes: pool.excludes,
    });
  }
  return result;
}

export interface PoolStatus {
  metadata: { name: string };
  spec: { hostName: string; interfaceName: string; podCIDR: string };
  status?: { allocations?: { address: string; containerID: string; interface: string; podUID: string }[] };
}

export async function poolsOf(client: KubeClient, hostName: string): Promise<PoolStatus[]> {
  const list = await client.request<{ items: PoolStatus[] }>({ method: 'GET', path: `${GROUP}/ippools` });
  return list.items.filter((p) => p.spec.hostName === hostName);
}

/** `pool/address podUID` of every allocation in a host's IPPools' status, sorted (for tests keyed by pod). */
export async function mirroredByPod(client: KubeClient, hostName: string): Promise<string[]> {
  const pools = await poolsOf(client, hostName);
  return pools
    .flatMap((p) => (p.status?.allocations ?? []).map((x) => `${p.metadata.name}/${x.address} ${x.podUID}`))
    .sort();
}

/** `pool/address podUID` of what an agent's store holds, sorted. */
export function heldByPod(agent: Agent): string[] {
  return agent.store
    .records()
    .map((r) => `${r.pool}/${r.address} ${r.podUID}`)
    .sort();
}

/** `pool/address containerID` of every allocation in the IPPools' status, sorted. */
export async function mirroredAllocations(client: KubeClient, hostName: string): Promise<string[]> {
  const pools = await poolsOf(client, hostName);
  return pools
    .flatMap((p) => (p.status?.allocations ?? []).map((a) => `${p.metadata.name}/${a.address} ${a.containerID}`))
    .sort();
}

// ------------------------------------------------------------------ the agent's socket

export interface Reply<T = unknown> {
  readonly status: number;
  readonly body: T;
}

export class SocketClient {
  readonly #socketPath: string;
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(socketPath: string) {
    this.#socketPath = socketPath;
  }

  post<T = Record<string, unknown>>(path: string, body: unknown): Promise<Reply<T>> {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.#socketPath,
          path,
          method: 'POST',
          agent: this.#agent,
          headers: { 'content-type': 'application/json' },
        },
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
      req.end(text);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** testenv's eventually with this suite's 30 s default (several tests have a 60 s jest timeout). */
export function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 30_000): Promise<T> {
  return pollEventually(fn, timeoutMs);
}

export function allocateRequest(options: {
  network: string;
  containerID: string;
  podUID: string;
  /** `pod-<podUID>` when not given. */
  podName?: string;
  nics: readonly string[];
  ips?: string[];
}): Record<string, unknown> {
  return {
    network: options.network,
    containerID: options.containerID,
    ifname: 'net1',
    pod: { name: options.podName ?? `pod-${options.podUID}`, namespace: 'default', uid: options.podUID },
    nics: options.nics.map((n, i) => ({ interfaceName: n, netAddress: '', podInterface: `net1-${i}` })),
    ...(options.ips === undefined ? {} : { ips: options.ips }),
  };
}

/** `pool/address` (no prefix) of each allocation of an allocate answer. */
export const allocatedAddresses = (res: AllocateResponse): string[] =>
  res.allocations.map((a) => `${a.ippool}/${a.address.split('/')[0] ?? ''}`);
