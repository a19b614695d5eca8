// Benchmark (a program, not a test): a real control plane, N nodes with a HostInterface of 4 NICs each, one
// MultiNicNetwork; the controller runs as its own process (dist/bin.js). Measures the time until every IPPool
// and NAD is written and the network is Ready, the time a joining node waits for its IPPools, and the
// controller's peak RSS (VmHWM). Prints a table, then one JSON line.
//   node packages/controller/bench/converge.ts [--nodes 1000]     (after `pnpm --filter @multinic/controller... build`)
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startTestEnv, type TestEnv } from '@multinic/testenv';
import { KubeClient } from '@multinic/kube';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');
const NICS = 4;
const NETWORK = 'bench-net';

interface Obj {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec?: unknown;
  status?: unknown;
}

function hostInterface(i: number): Obj & { apiVersion: string; kind: string } {
  const interfaces = Array.from({ length: NICS }, (_, n) => ({
    interfaceName: `eth${n + 1}`,
    netAddress: `10.${n + 1}.0.0/16`,
    hostIP: `10.${n + 1}.${((i + 1) >> 8) & 255}.${(i + 1) & 255}`,
  }));
  return {
    apiVersion: 'multinic.dev/v1',
    kind: 'HostInterface',
    metadata: { name: `node-${i}` },
    spec: { hostName: `node-${i}`, interfaces },
  };
}

function hostBits(nodes: number): number {
  return Math.max(1, Math.ceil(Math.log2(nodes + 2)));
}

function networkObject(nodes: number): Obj & { apiVersion: string; kind: string } {
  return {
    apiVersion: 'multinic.dev/v1',
    kind: 'MultiNicNetwork',
    metadata: { name: NETWORK },
    spec: {
      subnet: '172.16.0.0/12',
      masterNets: Array.from({ length: NICS }, (_, n) => `10.${n + 1}.0.0/16`),
      ipam: { type: 'multi-nic-ipam', interfaceBlock: 2, hostBlock: Math.min(hostBits(nodes), 16) },
      multiNICIPAM: true,
      plugin: { cniVersion: '1.0.0', type: 'ipvlan', args: { mode: 'l3' } },
    },
  };
}

async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

async function createHosts(rest: KubeClient, indexes: readonly number[]): Promise<void> {
  await inParallel(indexes, 32, async (i) => {
    await rest.request({
      method: 'POST',
      path: '/api/v1/nodes',
      body: { apiVersion: 'v1', kind: 'Node', metadata: { name: `node-${i}` } },
    });
    await rest.request({ method: 'POST', path: '/apis/multinic.dev/v1/hostinterfaces', body: hostInterface(i) });
  });
}

interface Running {
  readonly proc: ChildProcess;
  readonly port: number;
  readonly exited: Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The node flags of the program's `#!/usr/bin/env -S node …` line: the controller runs as it would when installed. */
function shebangFlags(): string[] {
  const first = readFileSync(BIN, 'utf8').split('\n', 1)[0] ?? '';
  return first
    .replace(/^#!\/usr\/bin\/env\s+(-S\s+)?node\s*/, '')
    .split(/\s+/)
    .filter((f) => f.startsWith('--'));
}

async function startController(env: TestEnv): Promise<Running> {
  const port = await freePort();
  const args = [
    ...shebangFlags(),
    BIN,
    '--kubeconfig',
    env.kubeconfigPath,
    '--leader-elect=false',
    '--http-address',
    '127.0.0.1',
    '--http-port',
    String(port),
    '--log-level',
    process.env['BENCH_LOG_LEVEL'] ?? 'warn',
  ];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  return { proc, port, exited: new Promise((resolve) => proc.once('exit', () => resolve())) };
}

async function synced(controller: Running): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${controller.port}/readyz`)).status === 200;
  } catch {
    return false;
  }
}

function procStatusMiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 'NaN');
  return kb / 1024;
}

const peakRssMiB = (pid: number): number => procStatusMiB(pid, 'VmHWM');

interface NetworkStatus {
  conditions?: { type: string; status: string; message: string }[];
  interfaces?: { numOfHosts: number }[];
}

async function waitReady(rest: KubeClient, pools: number): Promise<void> {
  for (;;) {
    const net = await rest.request<Obj>({ method: 'GET', path: `/apis/multinic.dev/v1/multinicnetworks/${NETWORK}` });
    const status = (net.status ?? {}) as NetworkStatus;
    const ready = status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    const planned = (status.interfaces ?? []).reduce((n, i) => n + i.numOfHosts, 0);
    if (ready && planned === pools) return;
    await sleep(50);
  }
}

async function count(rest: KubeClient, collection: string, labelSelector: string): Promise<number> {
  const list = await rest.request<{ items: unknown[] }>({ method: 'GET', path: collection, query: { labelSelector } });
  return list.items.length;
}

async function waitPools(rest: KubeClient, host: string): Promise<void> {
  while ((await count(rest, '/apis/multinic.dev/v1/ippools', `multinic.dev/host=${host}`)) < NICS) await sleep(10);
}

async function run(nodes: number): Promise<Record<string, number>> {
  const env = await startTestEnv({ controllerManager: false });
  let controller: Running | undefined;
  try {
    const rest = new KubeClient(env.kubeConfig, { maxSockets: 32 });
    const created = Date.now();
    await createHosts(
      rest,
      Array.from({ length: nodes }, (_, i) => i),
    );
    const createS = (Date.now() - created) / 1_000;
    const launched = Date.now();
    controller = await startController(env);
    while (!(await synced(controller))) await sleep(50);
    const syncS = (Date.now() - launched) / 1_000;
    if (process.env['BENCH_TRACE'] !== undefined)
      console.error(
        `synced: rss ${procStatusMiB(controller.proc.pid as number, 'VmRSS').toFixed(0)} MiB, peak ${peakRssMiB(controller.proc.pid as number).toFixed(0)}`,
      );
    const started = Date.now();
    await rest.request({ method: 'POST', path: '/apis/multinic.dev/v1/multinicnetworks', body: networkObject(nodes) });
    await waitReady(rest, nodes * NICS);
    const convergeS = (Date.now() - started) / 1_000;
    if (process.env['BENCH_TRACE'] !== undefined)
      console.error(
        `converged: rss ${procStatusMiB(controller.proc.pid as number, 'VmRSS').toFixed(0)} MiB, peak ${peakRssMiB(controller.proc.pid as number).toFixed(0)}`,
      );
    const pools = await count(rest, '/apis/multinic.dev/v1/ippools', `multinic.dev/network=${NETWORK}`);
    const nads = await count(
      rest,
      '/apis/k8s.cni.cncf.io/v1/network-attachment-definitions',
      `multinic.dev/network=${NETWORK}`,
    );
    await sleep(1_000);
    const joinStart = Date.now();
    await createHosts(rest, [nodes]);
    await waitPools(rest, `node-${nodes}`);
    const joinMs = Date.now() - joinStart;
    const rss = peakRssMiB(controller.proc.pid as number);
    rest.close();
    return {
      nodes,
      create_s: createS,
      sync_s: syncS,
      converge_s: convergeS,
      ippools: pools,
      nads,
      join_ms: joinMs,
      peak_rss_mib: rss,
    };
  } finally {
    controller?.proc.kill('SIGTERM');
    await controller?.exited;
    await env.stop();
  }
}

function table(result: Record<string, number>): string {
  const rows: [string, string, string][] = [
    ['nodes (4 NICs each)', String(result['nodes']), ''],
    ['create Nodes + HostInterfaces', (result['create_s'] ?? 0).toFixed(1), 's (setup, not measured)'],
    ['controller start until caches synced', (result['sync_s'] ?? 0).toFixed(2), 's'],
    ['converge (all IPPools + NADs, Ready)', (result['converge_s'] ?? 0).toFixed(2), 's   goal ≤ 30'],
    ['IPPools / NADs written', `${result['ippools']} / ${result['nads']}`, ''],
    ['join (node → its IPPools)', String(result['join_ms']), 'ms  goal ≤ 1000'],
    ['controller peak RSS', (result['peak_rss_mib'] ?? 0).toFixed(0), 'MiB goal ≤ 300'],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([k, v, u]) => `${k.padEnd(width)}  ${v.padStart(12)} ${u}`).join('\n');
}

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '1000' } } });
const result = await run(Number(values.nodes));
console.log(table(result));
console.log(
  JSON.stringify({
    nodes: result['nodes'],
    converge_s: result['converge_s'],
    join_ms: result['join_ms'],
    peak_rss_mib: Math.round((result['peak_rss_mib'] ?? 0) * 10) / 10,
  }),
);
