// The lab of the tests that run the multi-nic executable against the REAL node agent: a "node" network namespace
// whose veth NICs have their peers in a "switch" namespace, a real kube-apiserver from @multinic/testenv, the agent
// started in-process on it (its `ip` runs in the node namespace), pods as namespaces of their own, and the executable
// run inside the node namespace with only the CNI variables, as Multus would run it there. Needs root.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MultiNicNetwork } from '@multinic/crd-types';
import { nadConfig } from '@multinic/netconf';
import { Agent, AgentConfigSchema, run } from '@multinic/node-agent';
import type { HostOps } from '@multinic/node-agent';
import { addNetns, deleteNetns, eventually, startTestEnv } from '@multinic/testenv';
import type { TestEnv } from '@multinic/testenv';
import { pino } from 'pino';
import { executable } from './exec.js';
import { ip, sh } from './lab.js';

const IP = sh('sh', ['-c', 'command -v ip']).stdout.trim();

export interface AgentLabOptions {
  /** A short tag in the namespace and folder names (`mn-cni-<tag>-<id>`). */
  readonly tag: string;
  /** The agent's node name. */
  readonly node: string;
  /** CNI_PATH of the executable; the reference plugins by default. */
  readonly cniPath?: string;
  /** K8S_POD_NAME in CNI_ARGS for a container id; the container id by default. */
  readonly podName?: (containerId: string) => string;
  /** Whether CNI_ARGS carries K8S_POD_INFRA_CONTAINER_ID (default true). */
  readonly infraContainerId?: boolean;
}

/** A NIC of the node: a veth whose peer is in the switch namespace; IPv6 addresses skip DAD. */
export interface NodeNic {
  readonly name: string;
  readonly cidrs: readonly string[];
  readonly defaultVia?: string;
}

/**
 * The node of these tests: eth0 with the default route (via `<net>.0.1`), eth1 and eth2 on `<net>.1.0/24` and
 * `<net>.2.0/24`, the node at `.2` on each; `more(n)` adds addresses to eth<n> (an IPv6 one for dual-stack).
 */
export function nodeNics(net: string, more: (n: number) => readonly string[] = () => []): NodeNic[] {
  return [
    { name: 'eth0', cidrs: [`${net}.0.2/24`], defaultVia: `${net}.0.1` },
    ...[1, 2].map((n) => ({ name: `eth${n}`, cidrs: [`${net}.${n}.2/24`, ...more(n)] })),
  ];
}

export interface StartOptions {
  readonly nics: readonly NodeNic[];
  /** Writes the objects the agent needs (networks, CIDRs, IPPools) before it starts. */
  readonly objects: (kubeConfig: TestEnv['kubeConfig']) => Promise<void>;
  /** The agent's `routes` configuration; its tables file in the lab's folder by default. */
  readonly routes?: Record<string, unknown>;
  /** The configuration STATUS is asked with until it answers 0. */
  readonly statusStdin: unknown;
  /** More the agent must show before the lab counts as ready (throws until it does). */
  readonly ready?: () => void;
}

export interface Answer {
  readonly status: number | null;
  readonly json: Record<string, unknown>;
  readonly stderr: string;
}

export interface CniCall {
  readonly netns: string;
  readonly stdin: unknown;
  /** `c0ffee` when not given. */
  readonly containerId?: string;
  /** Another executable than multi-nic (a reference plugin, multi-nic-ipam). */
  readonly plugin?: string;
}

export interface Pod {
  readonly name: string;
  /** `/run/netns/<name>`, what a runtime passes as CNI_NETNS. */
  readonly path: string;
}

export class AgentLab {
  readonly host: string;
  readonly switchNs: string;
  /** A temp folder of the lab (agent state, socket, log), removed by stop(). */
  readonly dir: string;
  readonly socket: string;
  private readonly prefix: string;
  private readonly bin = executable('multi-nic');
  private readonly pods = new Set<string>();
  private testEnv: TestEnv | undefined;
  private started: Agent | undefined;

  constructor(private readonly options: AgentLabOptions) {
    const id = randomBytes(3).toString('hex');
    this.prefix = `mn-cni-${options.tag}-${id}`;
    this.host = this.prefix;
    this.switchNs = `${this.prefix}-sw`;
    this.dir = mkdtempSync(path.join(tmpdir(), `mn-cni-${options.tag}-`));
    this.socket = path.join(this.dir, 'run', 'agent.sock');
  }

  get env(): TestEnv {
    if (this.testEnv === undefined) throw new Error('the lab is not started');
    return this.testEnv;
  }

  get agent(): Agent {
    if (this.started === undefined) throw new Error('the lab is not started');
    return this.started;
  }

  /** The node and switch namespaces with their NICs, the control plane, the objects, the agent; then STATUS is 0. */
  async start(options: StartOptions): Promise<void> {
    addNetns(this.host);
    addNetns(this.switchNs);
    ip('-n', this.host, 'link', 'set', 'lo', 'up');
    for (const nic of options.nics) this.addNic(nic);
    this.testEnv = await startTestEnv({ controllerManager: false });
    await options.objects(this.testEnv.kubeConfig);
    const config = AgentConfigSchema.parse({
      nodeName: this.options.node,
      socketPath: this.socket,
      stateDir: path.join(this.dir, 'state'),
      metrics: { host: '127.0.0.1', port: 0 },
      discovery: { pollMs: 500 },
      routes: options.routes ?? { rtTablesDir: path.join(this.dir, 'iproute2') },
      mirror: { batchMs: 20, retryMs: 100 },
      shutdownTimeoutMs: 2_000,
    });
    const log = pino({ level: 'info' }, pino.destination({ dest: path.join(this.dir, 'agent.log'), sync: true }));
    this.started = await Agent.start({ config, log, kubeConfig: this.testEnv.kubeConfig, host: this.hostOps() });
    // STATUS through the executable is how a runtime learns the plugin is ready.
    await eventually(async () => {
      const status = await this.cni('STATUS', { netns: '', containerId: 'status', stdin: options.statusStdin });
      if (status.status !== 0)
        throw new Error(`STATUS: ${status.status} ${JSON.stringify(status.json)} ${status.stderr}`);
      options.ready?.();
    }, 60_000);
  }

  /** For afterAll: the pods left, the agent, the control plane, the namespaces and the folder. */
  async stop(): Promise<void> {
    for (const pod of [...this.pods]) this.dropPod(pod);
    await this.started?.stop().catch(() => undefined);
    await this.testEnv?.stop();
    deleteNetns(this.host);
    deleteNetns(this.switchNs);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The NetworkAttachmentDefinition config the controller writes for `network`, with the pod's cni-args (2 NICs). */
  nad(network: MultiNicNetwork, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const conf = nadConfig(network, { agentSocket: this.socket });
    if (!conf.ok) throw new Error(conf.error);
    return { ...conf.value, args: { cni: { nics: 2 } }, ...extra };
  }

  newPod(suffix: string): Pod {
    const name = `${this.prefix}-${suffix}`;
    addNetns(name);
    this.pods.add(name);
    return { name, path: `/run/netns/${name}` };
  }

  dropPod(name: string): void {
    deleteNetns(name);
    this.pods.delete(name);
  }

  /**
   * Runs the executable in the node namespace with only the CNI variables. Asynchronously: the agent answers from
   * this very process, so blocking on the child would deadlock.
   */
  cni(command: string, call: CniCall): Promise<Answer> {
    const container = call.containerId ?? 'c0ffee';
    const podName = this.options.podName?.(container) ?? container;
    const infra = this.options.infraContainerId === false ? '' : `K8S_POD_INFRA_CONTAINER_ID=${container};`;
    const vars = {
      CNI_COMMAND: command,
      CNI_CONTAINERID: container,
      CNI_NETNS: call.netns,
      CNI_IFNAME: 'net1',
      CNI_PATH: this.options.cniPath ?? '/usr/lib/cni',
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${podName};${infra}K8S_POD_UID=uid-${container}`,
    };
    return new Promise((resolve, reject) => {
      execFile(
        IP,
        ['netns', 'exec', this.host, call.plugin ?? this.bin],
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
      ).stdin?.end(JSON.stringify(call.stdin));
    });
  }

  private hostOps(): HostOps {
    const host = this.host;
    return {
      ip: (args, stdin) =>
        run('ip', stdin === undefined ? { args: ['-n', host, ...args] } : { args: ['-n', host, ...args], stdin }),
      sysfs: async () => ({}),
    };
  }

  private addNic(nic: NodeNic): void {
    const { host, switchNs } = this;
    ip('-n', host, 'link', 'add', nic.name, 'type', 'veth', 'peer', 'name', `p-${nic.name}`, 'netns', switchNs);
    ip('-n', switchNs, 'link', 'set', `p-${nic.name}`, 'up');
    for (const cidr of nic.cidrs)
      ip('-n', host, 'addr', 'add', cidr, 'dev', nic.name, ...(cidr.includes(':') ? ['nodad'] : []));
    ip('-n', host, 'link', 'set', nic.name, 'up');
    if (nic.defaultVia !== undefined) ip('-n', host, 'route', 'add', 'default', 'via', nic.defaultVia, 'dev', nic.name);
  }
}
