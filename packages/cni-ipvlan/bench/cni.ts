// Benchmark (a program, not a test): N sequential ADD then DEL of a 2-NIC macvlan pod through the built
// `dist/cni/multi-nic` with the REAL node agent running (in this process, on a real kube-apiserver from testenv),
// side by side in the same run with the reference chain doing the same work directly: two Debian `macvlan` calls
// with `static` IPAM. Both run inside the "node" namespace through `ip netns exec`, as Multus would run them.
// Then up to 30 more pods with the plugin's debug log on give where an ADD spends its time (phases from the log's
// uptimeMs). Every namespace it creates is deleted, also on failure or Ctrl-C. Prints the tables, then one JSON line.
//   pnpm build && node packages/cni-ipvlan/bench/cni.ts [--pods 200]
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { computePlan } from '@multinic/cidr-core';
import { HOST_LABEL, type MultiNicNetwork } from '@multinic/crd-types';
import { nadConfig } from '@multinic/netconf';
import { Agent, AgentConfigSchema, run } from '@multinic/node-agent';
import type { HostOps } from '@multinic/node-agent';
import { addNetns, deleteNetns, startTestEnv } from '@multinic/testenv';
import type { TestEnv } from '@multinic/testenv';
import { pino } from 'pino';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CNI_DIR = path.join(ROOT, 'dist', 'cni');
const BIN = path.join(CNI_DIR, 'multi-nic');
const REFERENCE = '/usr/lib/cni';
const NODE = 'bench-cni-node';
const NETWORK = 'bench-cni';
const GROUP = { group: 'multinic.dev', version: 'v1' };
const id = randomBytes(3).toString('hex');
const HOST = `mn-bench-${id}`;
const SWITCH = `mn-bench-${id}-sw`;
const POD = `mn-bench-${id}-pod`;
const REF_POD = `mn-bench-${id}-ref`;
const NAMESPACES = [HOST, SWITCH, POD, REF_POD];
const MASTERS = ['eth1', 'eth2'];

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function cleanupNamespaces(): void {
  for (const ns of NAMESPACES) deleteNetns(ns);
}

function network(): MultiNicNetwork {
  return {
    apiVersion: 'multinic.dev/v1',
    kind: 'MultiNicNetwork',
    metadata: { name: NETWORK },
    spec: {
      subnet: '192.168.0.0/16',
      masterNets: ['10.30.1.0/24', '10.30.2.0/24'],
      multiNICIPAM: true,
      ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2 },
      plugin: { cniVersion: '1.0.0', type: 'macvlan', args: { mode: 'bridge' } },
    },
  };
}

function createHost(): void {
  for (const ns of NAMESPACES) addNetns(ns);
  ip('-n', HOST, 'link', 'set', 'lo', 'up');
  const nics = [
    { name: 'eth0', cidr: '10.30.0.2/24' },
    { name: 'eth1', cidr: '10.30.1.2/24' },
    { name: 'eth2', cidr: '10.30.2.2/24' },
  ];
  for (const nic of nics) {
    ip('-n', HOST, 'link', 'add', nic.name, 'type', 'veth', 'peer', 'name', `p-${nic.name}`, 'netns', SWITCH);
    ip('-n', SWITCH, 'link', 'set', `p-${nic.name}`, 'up');
    ip('-n', HOST, 'addr', 'add', nic.cidr, 'dev', nic.name);
    ip('-n', HOST, 'link', 'set', nic.name, 'up');
  }
  ip('-n', HOST, 'route', 'add', 'default', 'via', '10.30.0.1', 'dev', 'eth0');
}

async function createNetworkObjects(env: TestEnv): Promise<void> {
  const api = env.kubeConfig.makeApiClient(CustomObjectsApi);
  const interfaces = [
    { interfaceName: 'eth1', netAddress: '10.30.1.0/24', hostIP: '10.30.1.2' },
    { interfaceName: 'eth2', netAddress: '10.30.2.0/24', hostIP: '10.30.2.2' },
  ];
  const config = {
    subnet: '192.168.0.0/16',
    interfaceBlock: 2,
    hostBlock: 6,
    masterNets: ['10.30.1.0/24', '10.30.2.0/24'],
    excludeCIDRs: [],
  };
  const plan = computePlan({ networkName: NETWORK, config, hosts: [{ hostName: NODE, interfaces }] });
  await api.createClusterCustomObject({ ...GROUP, plural: 'multinicnetworks', body: network() });
  await api.createClusterCustomObject({
    ...GROUP,
    plural: 'cidrs',
    body: { apiVersion: 'multinic.dev/v1', kind: 'CIDR', metadata: { name: NETWORK }, spec: plan.plan },
  });
  for (const pool of plan.ippools) {
    const spec = {
      network: NETWORK,
      hostName: pool.hostName,
      interfaceName: pool.interfaceName,
      podCIDR: pool.podCIDR,
      vlanCIDR: pool.vlanCIDR,
      excludes: pool.excludes,
    };
    await api.createClusterCustomObject({
      ...GROUP,
      plural: 'ippools',
      body: {
        apiVersion: 'multinic.dev/v1',
        kind: 'IPPool',
        metadata: { name: pool.name, labels: { [HOST_LABEL]: pool.hostName } },
        spec,
      },
    });
  }
}

function hostOps(): HostOps {
  return {
    ip: (args, stdin) =>
      run('ip', stdin === undefined ? { args: ['-n', HOST, ...args] } : { args: ['-n', HOST, ...args], stdin }),
    sysfs: async () => ({}),
  };
}

interface Call {
  readonly plugin: string;
  readonly command: 'ADD' | 'DEL' | 'STATUS' | 'VERSION';
  readonly netns: string;
  readonly containerId: string;
  readonly ifname: string;
  readonly config: unknown;
}

/** One plugin execution in the node namespace with only the CNI variables; resolves with its wall time in ms. */
function cni(call: Call): Promise<number> {
  const env = {
    CNI_COMMAND: call.command,
    CNI_CONTAINERID: call.containerId,
    CNI_NETNS: call.netns === '' ? '' : `/run/netns/${call.netns}`,
    CNI_IFNAME: call.ifname,
    CNI_PATH: `${REFERENCE}:${CNI_DIR}`,
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=bench;K8S_POD_INFRA_CONTAINER_ID=${call.containerId};K8S_POD_UID=uid-${call.containerId}`,
  };
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = execFile(
      'ip',
      ['netns', 'exec', HOST, call.plugin],
      { env, encoding: 'utf8', timeout: 60_000 },
      (err, stdout, stderr) => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        if (err !== null)
          reject(
            new Error(
              `${path.basename(call.plugin)} ${call.command} ${call.containerId}/${call.ifname}: ${stdout.trim()} ${stderr.trim()}`,
            ),
          );
        else resolve(ms);
      },
    );
    child.stdin?.end(JSON.stringify(call.config));
  });
}

function multiNicConfig(socketPath: string, logFile?: string): Record<string, unknown> {
  const conf = nadConfig(network(), { agentSocket: socketPath });
  if (!conf.ok) throw new Error(conf.error);
  return {
    ...conf.value,
    args: { cni: { nics: 2 } },
    ...(logFile === undefined ? {} : { logFile, logLevel: 'debug' }),
  };
}

/** What the reference chain is given for NIC i: Debian macvlan on the master with a static address. */
function referenceConfig(i: number): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: 'bench-ref',
    type: 'macvlan',
    master: MASTERS[i],
    mode: 'bridge',
    ipam: { type: 'static', addresses: [{ address: `192.168.${i * 64 + 1}.10/18` }] },
  };
}

interface Samples {
  add: number[];
  del: number[];
  /** VERSION through the same path: the cost of starting the program, nothing else. */
  start: number[];
}

async function multiNicPod(socketPath: string, n: number, into: Samples, logFile?: string): Promise<void> {
  const call = {
    plugin: BIN,
    netns: POD,
    containerId: `bench-${n}`,
    ifname: 'net1',
    config: multiNicConfig(socketPath, logFile),
  };
  into.start.push(await cni({ ...call, command: 'VERSION' }));
  into.add.push(await cni({ ...call, command: 'ADD' }));
  into.del.push(await cni({ ...call, command: 'DEL' }));
}

async function referencePod(n: number, into: Samples): Promise<void> {
  const plugin = path.join(REFERENCE, 'macvlan');
  const calls = MASTERS.map((_, i) => ({
    plugin,
    netns: REF_POD,
    containerId: `ref-${n}`,
    ifname: `net1-${i}`,
    config: referenceConfig(i),
  }));
  into.start.push(
    await cni({
      plugin,
      netns: REF_POD,
      containerId: `ref-${n}`,
      ifname: 'net1-0',
      config: referenceConfig(0),
      command: 'VERSION',
    }),
  );
  let add = 0;
  for (const c of calls) add += await cni({ ...c, command: 'ADD' });
  let del = 0;
  for (const c of [...calls].reverse()) del += await cni({ ...c, command: 'DEL' });
  into.add.push(add);
  into.del.push(del);
}

function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function row(name: string, values: readonly number[], width = 28): string {
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  return [
    name.padEnd(width),
    ...[percentile(values, 0.5), percentile(values, 0.99), mean, Math.max(...values)].map((v) =>
      round(v).toFixed(1).padStart(9),
    ),
  ].join(' ');
}

async function waitReady(socketPath: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  const status = { ...multiNicConfig(socketPath), cniVersion: '1.1.0' };
  for (;;) {
    try {
      await cni({ plugin: BIN, command: 'STATUS', netns: '', containerId: 'status', ifname: 'net1', config: status });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

async function measure(socketPath: string, pods: number): Promise<{ multi: Samples; ref: Samples }> {
  const multi: Samples = { add: [], del: [], start: [] };
  const ref: Samples = { add: [], del: [], start: [] };
  // One warm-up of each (page cache, first-use costs), not counted.
  await multiNicPod(socketPath, -1, { add: [], del: [], start: [] });
  await referencePod(-1, { add: [], del: [], start: [] });
  for (let n = 0; n < pods; n++) {
    // Interleaved, so both see the same machine load.
    await multiNicPod(socketPath, n, multi);
    await referencePod(n, ref);
  }
  return { multi, ref };
}

/** The ADD phases, in order, named after the debug log line that ends each (uptimeMs: ms since the process started). */
const PHASES = [
  { key: 'startup', name: 'start-up (exec to configuration read)', until: 'ADD started' },
  { key: 'select', name: 'select (agent round trip)', until: 'agent selected NICs' },
  { key: 'allocate', name: 'allocate (agent, fdatasync)', until: 'agent allocated' },
  { key: 'delegate_0', name: 'delegate 0 (macvlan + static)', until: 'delegate added' },
  { key: 'delegate_1', name: 'delegate 1 (macvlan + static)', until: 'delegate added' },
  { key: 'routes', name: 'pod routes (ip -batch)', until: 'pod routes applied' },
  { key: 'result', name: 'result', until: 'ADD done' },
] as const;
const OUTSIDE = { key: 'outside', name: 'outside (ip netns exec, exit)' };

/** Samples per phase key. */
type Phases = Map<string, number[]>;

/**
 * Where an ADD spends its time: `pods` more pods with the plugin's debug log on (so not part of the numbers above),
 * each phase the difference between the uptimeMs of consecutive log lines; "outside" is the rest of the wall time
 * (ip netns exec, printing the result, the process exit).
 */
async function phases(socketPath: string, pods: number, dir: string): Promise<Phases> {
  const out: Phases = new Map([...PHASES, OUTSIDE].map((p) => [p.key, []]));
  for (let n = 0; n < pods; n++) {
    const logFile = path.join(dir, `phases-${n}.log`);
    const samples: Samples = { add: [], del: [], start: [] };
    await multiNicPod(socketPath, 200_000 + n, samples, logFile);
    const lines = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; command: string; uptimeMs: number });
    const add = lines.filter((l) => l.command === 'ADD');
    let at = 0;
    let next = 0;
    for (const phase of PHASES) {
      const i = add.findIndex((l, j) => j >= next && l.msg === phase.until);
      const line = add[i];
      if (line === undefined) throw new Error(`phases: no "${phase.until}" line in ${logFile}`);
      next = i + 1;
      out.get(phase.key)?.push(line.uptimeMs - at);
      at = line.uptimeMs;
    }
    out.get(OUTSIDE.key)?.push((samples.add[0] ?? 0) - at);
  }
  return out;
}

/** Prints the phase table; returns the medians by phase key. */
function reportPhases(pods: number, found: Phases): Record<string, number> {
  process.stdout.write(`\nwhere multi-nic ADD spends its time (${pods} more pods, debug log on), ms\n`);
  process.stdout.write(`${'phase'.padEnd(40)} ${['p50', 'p99', 'mean', 'max'].map((h) => h.padStart(9)).join(' ')}\n`);
  for (const phase of [...PHASES, OUTSIDE])
    process.stdout.write(`${row(phase.name, found.get(phase.key) ?? [], 40)}\n`);
  return Object.fromEntries([...found].map(([key, values]) => [key, round(percentile(values, 0.5))]));
}

function report(
  pods: number,
  { multi, ref }: { multi: Samples; ref: Samples },
  phased: { pods: number; found: Phases },
): void {
  process.stdout.write(`multi-nic vs reference chain (2 × macvlan + static), ${pods} pods, sequential, ms\n`);
  process.stdout.write(
    `${'operation'.padEnd(28)} ${['p50', 'p99', 'mean', 'max'].map((h) => h.padStart(9)).join(' ')}\n`,
  );
  process.stdout.write(`${row('multi-nic ADD (2 NICs)', multi.add)}\n${row('multi-nic DEL', multi.del)}\n`);
  process.stdout.write(`${row('reference ADD (2 calls)', ref.add)}\n${row('reference DEL (2 calls)', ref.del)}\n`);
  process.stdout.write(
    `${row('multi-nic VERSION (start)', multi.start)}\n${row('macvlan VERSION (start)', ref.start)}\n`,
  );
  const phaseMedians = reportPhases(phased.pods, phased.found);
  const addP50 = percentile(multi.add, 0.5);
  const refAddP50 = percentile(ref.add, 0.5);
  const json = {
    bench: 'cni',
    pods,
    add_p50_ms: round(addP50),
    add_p99_ms: round(percentile(multi.add, 0.99)),
    del_p50_ms: round(percentile(multi.del, 0.5)),
    ref_add_p50_ms: round(refAddP50),
    ref_del_p50_ms: round(percentile(ref.del, 0.5)),
    start_p50_ms: round(percentile(multi.start, 0.5)),
    ref_start_p50_ms: round(percentile(ref.start, 0.5)),
    ratio: Math.round((addP50 / refAddP50) * 100) / 100,
    phases_p50_ms: phaseMedians,
  };
  process.stdout.write(`${JSON.stringify(json)}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { pods: { type: 'string', default: process.env['MULTINIC_BENCH_PODS'] ?? '200' } },
  });
  const pods = Number(values.pods);
  if (!Number.isInteger(pods) || pods < 1) throw new Error(`--pods ${values.pods}: give a positive whole number`);
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`pnpm build\` first`);
  const dir = mkdtempSync(path.join(tmpdir(), 'mn-bench-cni-'));
  const socketPath = path.join(dir, 'run', 'agent.sock');
  let env: TestEnv | undefined;
  let agent: Agent | undefined;
  process.once('SIGINT', () => {
    cleanupNamespaces();
    process.exit(130);
  });
  try {
    createHost();
    env = await startTestEnv({ controllerManager: false });
    await createNetworkObjects(env);
    const config = AgentConfigSchema.parse({
      nodeName: NODE,
      socketPath,
      stateDir: path.join(dir, 'state'),
      metrics: { host: '127.0.0.1', port: 0 },
      discovery: { pollMs: 2_000 },
      routes: { rtTablesDir: path.join(dir, 'iproute2') },
      shutdownTimeoutMs: 2_000,
    });
    const log = pino({ level: 'warn' }, pino.destination({ dest: path.join(dir, 'agent.log'), sync: true }));
    agent = await Agent.start({ config, log, kubeConfig: env.kubeConfig, host: hostOps() });
    await waitReady(socketPath);
    const measured = await measure(socketPath, pods);
    const phasePods = Math.min(pods, 30);
    report(pods, measured, { pods: phasePods, found: await phases(socketPath, phasePods, dir) });
  } finally {
    await agent?.stop().catch(() => undefined);
    await env?.stop();
    cleanupNamespaces();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench cni: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
