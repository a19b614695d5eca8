// `multiNICIPAM: false` (multi-nic-cni's single-NIC IPAM): the multi-nic executable asks the REAL node agent (on a
// real kube-apiserver from @multinic/testenv) only which NICs the pod gets, and every per-NIC delegate — Debian's
// macvlan — runs the network's own IPAM as written: Debian's host-local, with its data directory in a temp folder.
// The "node" is a network namespace with veth NICs whose peers live in a second namespace; each pod is a namespace.
// No CIDR or IPPool exists: such a network needs none. Needs root and the testenv binaries (scripts/ensure-tools).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { CniResult, MultiNicNetwork } from '@multinic/crd-types';
import { nadConfig, podInterfaceName } from '@multinic/netconf';
import { Agent, AgentConfigSchema, run } from '@multinic/node-agent';
import type { HostOps } from '@multinic/node-agent';
import { addNetns, deleteNetns, eventually, startTestEnv } from '@multinic/testenv';
import type { TestEnv } from '@multinic/testenv';
import { pino } from 'pino';
import { executable } from './exec.js';
import { addresses, ip, links, sh } from './lab.js';

const BIN = executable('multi-nic');
const IP = sh('sh', ['-c', 'command -v ip']).stdout.trim();
const NODE = 'node-own-ipam';
const NETWORK = 'mn-own-ipam';
const id = randomBytes(3).toString('hex');
const HOST = `mn-cni-oi-${id}`;
const SWITCH = `mn-cni-oi-${id}-sw`;
const dir = mkdtempSync(path.join(tmpdir(), 'mn-cni-own-ipam-'));
const SOCKET = path.join(dir, 'run', 'agent.sock');
const DATA_DIR = path.join(dir, 'host-local');
/** host-local keeps one file per address it handed out, named by the address, in <dataDir>/<network name>. */
const STORE = path.join(DATA_DIR, NETWORK);
const pods = new Set<string>();
let env: TestEnv | undefined;
let agent: Agent | undefined;

/** The network's ipam, exactly as a multi-nic-cni user writes it for host-local. */
const IPAM = {
  type: 'host-local',
  ranges: [[{ subnet: '10.77.0.0/24', rangeStart: '10.77.0.10', rangeEnd: '10.77.0.50' }]],
  dataDir: DATA_DIR,
};

const NETWORK_OBJECT: MultiNicNetwork = {
  apiVersion: 'multinic.dev/v1',
  kind: 'MultiNicNetwork',
  metadata: { name: NETWORK },
  spec: {
    masterNets: ['10.20.1.0/24', '10.20.2.0/24'],
    multiNICIPAM: false,
    ipam: IPAM,
    plugin: { cniVersion: '1.0.0', type: 'macvlan', args: { mode: 'bridge' } },
  },
};

/** The NetworkAttachmentDefinition config the controller writes, with the pod's cni-args as Multus adds them. */
function nad(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const conf = nadConfig(NETWORK_OBJECT, { agentSocket: SOCKET });
  if (!conf.ok) throw new Error(conf.error);
  return { ...conf.value, args: { cni: { nics: 2 } }, ...extra };
}

function hostOps(): HostOps {
  return {
    ip: (args, stdin) =>
      run('ip', stdin === undefined ? { args: ['-n', HOST, ...args] } : { args: ['-n', HOST, ...args], stdin }),
    sysfs: async () => ({}),
  };
}

function addNic(name: string, cidr: string, defaultVia?: string): void {
  ip('-n', HOST, 'link', 'add', name, 'type', 'veth', 'peer', 'name', `p-${name}`, 'netns', SWITCH);
  ip('-n', SWITCH, 'link', 'set', `p-${name}`, 'up');
  ip('-n', HOST, 'addr', 'add', cidr, 'dev', name);
  ip('-n', HOST, 'link', 'set', name, 'up');
  if (defaultVia !== undefined) ip('-n', HOST, 'route', 'add', 'default', 'via', defaultVia, 'dev', name);
}

interface Answer {
  readonly status: number | null;
  readonly json: Record<string, unknown>;
  readonly stderr: string;
}

/** Runs the executable in the node namespace with only the CNI variables (asynchronously: the agent is in-process). */
function cni(command: string, options: { netns: string; stdin: unknown; containerId: string }): Promise<Answer> {
  const vars = {
    CNI_COMMAND: command,
    CNI_CONTAINERID: options.containerId,
    CNI_NETNS: options.netns,
    CNI_IFNAME: 'net1',
    CNI_PATH: '/usr/lib/cni',
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-${options.containerId};K8S_POD_UID=uid-${options.containerId}`,
  };
  return new Promise((resolve, reject) => {
    execFile(
      IP,
      ['netns', 'exec', HOST, BIN],
      { env: vars, encoding: 'utf8', timeout: 30_000 },
      (err, stdout, stderr) => {
        if (err !== null && typeof err.code !== 'number') return reject(err);
        let json: Record<string, unknown> = {};
        try {
          json = stdout === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>);
        } catch {
          json = { unparsable: stdout };
        }
        resolve({ status: err === null ? 0 : Number(err.code), json, stderr });
      },
    ).stdin?.end(JSON.stringify(options.stdin));
  });
}

function newPod(n: number): { name: string; path: string } {
  const name = `mn-cni-oi-${id}-p${n}`;
  addNetns(name);
  pods.add(name);
  return { name, path: `/run/netns/${name}` };
}

function dropPod(name: string): void {
  deleteNetns(name);
  pods.delete(name);
}

/** `address containerID/ifname` of every address host-local holds (its files named by address). */
function held(): string[] {
  if (!existsSync(STORE)) return [];
  return readdirSync(STORE)
    .filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f))
    .map((f) => `${f} ${readFileSync(path.join(STORE, f), 'utf8').split(/\r?\n/).join('/')}`)
    .sort();
}

beforeAll(async () => {
  addNetns(HOST);
  addNetns(SWITCH);
  ip('-n', HOST, 'link', 'set', 'lo', 'up');
  addNic('eth0', '10.20.0.2/24', '10.20.0.1');
  addNic('eth1', '10.20.1.2/24');
  addNic('eth2', '10.20.2.2/24');
  env = await startTestEnv({ controllerManager: false });
  const api = env.kubeConfig.makeApiClient(CustomObjectsApi);
  await api.createClusterCustomObject({
    group: 'multinic.dev',
    version: 'v1',
    plural: 'multinicnetworks',
    body: NETWORK_OBJECT,
  });
  const config = AgentConfigSchema.parse({
    nodeName: NODE,
    socketPath: SOCKET,
    stateDir: path.join(dir, 'state'),
    metrics: { host: '127.0.0.1', port: 0 },
    discovery: { pollMs: 500 },
    routes: { rtTablesDir: path.join(dir, 'iproute2') },
    mirror: { batchMs: 20, retryMs: 100 },
    shutdownTimeoutMs: 2_000,
  });
  const log = pino({ level: 'info' }, pino.destination({ dest: path.join(dir, 'agent.log'), sync: true }));
  agent = await Agent.start({ config, log, kubeConfig: env.kubeConfig, host: hostOps() });
  // STATUS is ready without any IPPool: such a network needs none.
  await eventually(async () => {
    const status = await cni('STATUS', { netns: '', containerId: 'status', stdin: nad({ cniVersion: '1.1.0' }) });
    if (status.status !== 0)
      throw new Error(`STATUS: ${status.status} ${JSON.stringify(status.json)} ${status.stderr}`);
  }, 60_000);
}, 180_000);

afterAll(async () => {
  for (const pod of [...pods]) dropPod(pod);
  await agent?.stop().catch(() => undefined);
  await env?.stop();
  deleteNetns(HOST);
  deleteNetns(SWITCH);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const NAMES = [podInterfaceName('net1', 0), podInterfaceName('net1', 1)];

describe('multi-nic with multiNICIPAM: false and Debian host-local', () => {
  it('ADD: the agent selects two NICs, each macvlan gets its address from host-local; CHECK passes; DEL gives both back, twice', async () => {
    const pod = newPod(1);
    const add = await cni('ADD', { netns: pod.path, containerId: 'c1', stdin: nad() });
    expect({ status: add.status, json: add.json['code'] === undefined ? 'result' : add.json }).toEqual({
      status: 0,
      json: 'result',
    });
    const result = add.json as unknown as CniResult;
    expect(result.interfaces?.map((i) => [i.name, i.sandbox])).toEqual(NAMES.map((n) => [n, pod.path]));
    const ips = (result.ips ?? []).map((a) => [a.address, result.interfaces?.[a.interface ?? -1]?.name]);
    expect(ips).toHaveLength(2);
    for (const [address, name] of ips) {
      expect(address).toMatch(/^10\.77\.0\.(1\d|[2-4]\d|50)\/24$/);
      expect(addresses(pod.name, String(name))).toEqual([address]);
    }
    // host-local holds exactly these two, for this container and each pod interface
    expect(held()).toEqual(ips.map(([address, name]) => `${String(address).split('/')[0]} c1/${String(name)}`).sort());
    expect(links(pod.name).sort()).toEqual(['lo', ...NAMES].sort());

    const check = await cni('CHECK', { netns: pod.path, containerId: 'c1', stdin: nad({ prevResult: result }) });
    expect({ status: check.status, json: check.json }).toEqual({ status: 0, json: {} });

    for (let i = 0; i < 2; i++) {
      const del = await cni('DEL', { netns: pod.path, containerId: 'c1', stdin: nad({ prevResult: result }) });
      expect({ status: del.status, json: del.json }).toEqual({ status: 0, json: {} });
      expect(held()).toEqual([]);
      expect(links(pod.name)).toEqual(['lo']);
    }
    dropPod(pod.name);
  }, 60_000);

  it("DEL after the pod's namespace is gone, without prevResult: host-local still gives both addresses back", async () => {
    const pod = newPod(2);
    const add = await cni('ADD', { netns: pod.path, containerId: 'c2', stdin: nad() });
    expect(add.status).toBe(0);
    expect(held()).toHaveLength(2);
    dropPod(pod.name);
    const del = await cni('DEL', { netns: pod.path, containerId: 'c2', stdin: nad() });
    expect({ status: del.status, json: del.json }).toEqual({ status: 0, json: {} });
    expect(held()).toEqual([]);
  }, 60_000);
});
