// A local multi-host cluster: the real control plane (@multinic/testenv), N "hosts" that are network namespaces with
// the secondary NICs of a topology (./topology.ts; by default two each: veth pairs into one Linux bridge per NIC
// network inside a switch namespace, no route out), one
// multinic-agent per host running inside its namespace, one multinic-controller in the root namespace, and pods
// created the way kubelet does it: Pod object, network namespace, then the real `multus` binary executed inside the
// host namespace.
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { refusedRequests as refusedLines, renderRbac } from '@multinic/chart-tests';
import { addNetns, deleteNetns, startTestEnv, toolPath, writeKubeconfig, type TestEnv } from '@multinic/testenv';
import { daemon, ip, run, runOk, stopDaemon, waitFor, type Daemon } from './sh.js';
import { hostNics, makeTopology, type NetworkOption, type Topology, type TopologyNic } from './topology.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..', '..');
const RELEASE_NS = 'multinic-system';
export const NETWORKS_ANNOTATION = 'k8s.v1.cni.cncf.io/networks';
export const STATUS_ANNOTATION = 'k8s.v1.cni.cncf.io/network-status';
const MN = { group: 'multinic.dev', version: 'v1' };

/** The relay run inside a host namespace: TCP on the namespace's loopback → the root namespace's unix socket. */
const RELAY_JS = `const net=require('net');const [sock,port]=process.argv.slice(1);
net.createServer((c)=>{const u=net.connect(sock);c.pipe(u);u.pipe(c);c.on('error',()=>u.destroy());u.on('error',()=>c.destroy());})
.listen(Number(port),'127.0.0.1',()=>console.log('ready'));`;

/**
 * Puts a device-manager checkpoint where multus looks for it, in the current (private) mount namespace: a tmpfs on
 * /var/lib/kubelet when the machine has that directory, else on /var/lib (nothing below it is needed by multus or the
 * plugins it runs here; the directory is never created on the machine). Then execs the rest of the arguments.
 */
const KUBELET_CHECKPOINT_SH = `set -e
if [ -d /var/lib/kubelet ]; then mount -t tmpfs tmpfs /var/lib/kubelet; else mount -t tmpfs tmpfs /var/lib; fi
mkdir -p /var/lib/kubelet/device-plugins
cp "$1" /var/lib/kubelet/device-plugins/kubelet_internal_checkpoint
shift
exec "$@"`;

export interface Host {
  readonly index: number;
  readonly name: string;
  readonly ns: string;
  readonly dir: string;
  /**
   * The host's NICs: name, address on its NIC network (`cidr`, e.g. 10.10.1.1/24) and that network; on a network with
   * an IPv6 prefix also the IPv6 address (`cidr6`, e.g. fd10:10:1::1/64) and that prefix (`network6`).
   */
  readonly nics: readonly {
    readonly name: string;
    readonly cidr: string;
    readonly network: string;
    readonly cidr6?: string;
    readonly network6?: string;
  }[];
  agent?: Daemon;
  relay?: Daemon;
}

export interface Pod {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly host: Host;
  readonly ns: string;
  readonly containerID: string;
}

export interface PodInterface {
  readonly name: string;
  readonly address: string;
}

export interface PodOptions {
  readonly name: string;
  readonly host: Host;
  /** The k8s.v1.cni.cncf.io/networks annotation. */
  readonly networks: string;
  readonly namespace?: string;
}

export interface ClusterOptions {
  /** How many hosts (default 3), each with a NIC per network of `networks`; ignored when `topology` is given. */
  readonly hosts?: number;
  /** The NIC networks (default DEFAULT_NETWORKS: eth1 on 10.10.1.0/24, eth2 on 10.10.2.0/24); see makeTopology. */
  readonly networks?: readonly NetworkOption[];
  /** The whole topology as data (networks and each host's NICs); wins over `hosts` and `networks`. */
  readonly topology?: Topology;
  readonly log?: (line: string) => void;
  /** The controller's `--host-grace-period-seconds` (how long a departed host's IPPools with allocations are kept); default the controller's. */
  readonly hostGraceSeconds?: number;
}

export class Cluster {
  readonly id = randomBytes(3).toString('hex');
  readonly work = path.join('/tmp', `mn-e2e-${this.id}`);
  readonly switchNs = `mn-e2e-sw-${this.id}`;
  readonly hosts: Host[] = [];
  /** The topology the cluster was started with (hosts added later get hostNics(topology.networks, index)). */
  readonly topology: Topology;
  readonly pods = new Map<string, Pod>();
  env: TestEnv | undefined;
  controller: Daemon | undefined;
  #relayServer: net.Server | undefined;
  readonly #log: (line: string) => void;
  readonly #hostGraceSeconds: number | undefined;
  readonly #namespaces: string[] = [];

  private constructor(options: ClusterOptions) {
    this.#log = options.log ?? (() => undefined);
    this.#hostGraceSeconds = options.hostGraceSeconds;
    this.topology =
      options.topology ??
      makeTopology({
        hosts: options.hosts ?? 3,
        ...(options.networks === undefined ? {} : { networks: options.networks }),
      });
  }

  /** Brings everything up; on failure everything already created is torn down before the error is thrown. */
  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    if (process.getuid?.() !== 0)
      throw new Error(
        'the local cluster needs root: it creates network namespaces, veth pairs and bridges and runs Multus and the CNI plugins',
      );
    const c = new Cluster(options);
    try {
      await c.#start();
      return c;
    } catch (err) {
      await c.stop();
      throw err;
    }
  }

  get kubeConfig(): KubeConfig {
    return this.#env().kubeConfig;
  }

  /** Where the agent socket is, as every process started for a host sees it (a per-host directory is bound here). */
  get agentSocket(): string {
    return path.join(this.work, 'run', 'agent.sock');
  }

  #env(): TestEnv {
    if (this.env === undefined) throw new Error('the control plane is not running');
    return this.env;
  }

  async #start(): Promise<void> {
    const hostCount = this.topology.hosts.length;
    mkdirSync(path.join(this.work, 'run'), { recursive: true });
    this.#binDir();
    let t = Date.now();
    this.env = await startTestEnv({ log: () => undefined });
    this.#log(`control plane up in ${Date.now() - t} ms (${this.env.server})`);
    t = Date.now();
    const [controllerKc, agentKc] = await this.#installRbac();
    await this.#startApiRelay();
    await this.addNetns(this.switchNs);
    for (const net of this.topology.networks) {
      await ip(['-n', this.switchNs, 'link', 'add', net.bridge, 'type', 'bridge']);
      await ip(['-n', this.switchNs, 'link', 'set', net.bridge, 'up']);
      if (net.gateway !== undefined) await ip(['-n', this.switchNs, 'addr', 'add', net.gateway, 'dev', net.bridge]);
    }
    for (let i = 1; i <= hostCount; i++) await this.addHost(i, agentKc);
    this.startController(controllerKc);
    this.#log(`${hostCount} hosts, agents and controller started in ${Date.now() - t} ms`);
  }

  /** The multinic-controller program in the root namespace, with the chart's controller ServiceAccount. */
  startController(kubeconfig = path.join(this.work, 'multinic-controller.kubeconfig')): Daemon {
    this.controller = daemon(
      'controller',
      [
        process.execPath,
        '--max-semi-space-size=16',
        path.join(ROOT, 'packages/controller/dist/bin.js'),
        '--kubeconfig',
        kubeconfig,
        '--leader-elect=false',
        '--http-address',
        '127.0.0.1',
        '--http-port',
        '0',
        '--event-namespace',
        'default',
        '--agent-socket',
        this.agentSocket,
        '--log-level',
        'info',
        ...(this.#hostGraceSeconds === undefined
          ? []
          : ['--host-grace-period-seconds', String(this.#hostGraceSeconds)]),
      ],
      path.join(this.work, 'controller.log'),
    );
    return this.controller;
  }

  /** A bin directory as kubelet's CNI_PATH would hold it: multus and the multinic plugins. */
  #binDir(): void {
    const bin = path.join(this.work, 'bin');
    mkdirSync(bin, { recursive: true });
    const links: Record<string, string> = {
      multus: toolPath('multus'),
      'multi-nic': path.join(ROOT, 'dist/cni/multi-nic'),
      'multi-nic-ipam': path.join(ROOT, 'dist/cni/multi-nic-ipam'),
    };
    for (const [name, target] of Object.entries(links)) {
      if (!existsSync(target))
        throw new Error(`${target} is missing: run pnpm exec turbo run build sea --filter=@multinic/e2e...`);
      symlinkSync(target, path.join(bin, name));
    }
  }

  get cniPath(): string {
    return `${path.join(this.work, 'bin')}:/usr/lib/cni`;
  }

  /** The chart's RBAC (helm template of charts/multinic), applied; kubeconfigs for the two ServiceAccounts. */
  async #installRbac(): Promise<[string, string]> {
    const env = this.#env();
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: RELEASE_NS } } });
    const rbac = await renderRbac({ namespace: RELEASE_NS, release: 'multinic' });
    await runOk(toolPath('kubectl'), ['--kubeconfig', env.kubeconfigPath, 'apply', '-f', '-'], { stdin: rbac });
    const files: string[] = [];
    for (const sa of ['multinic-controller', 'multinic-agent']) {
      const kc = await env.serviceAccountKubeConfig(RELEASE_NS, sa);
      const file = path.join(this.work, `${sa}.kubeconfig`);
      writeKubeconfig(kc, file);
      files.push(file);
    }
    return [files[0] as string, files[1] as string];
  }

  /** The root-namespace end of the API relay: a unix socket that connects to the real API server port. */
  async #startApiRelay(): Promise<void> {
    const url = new URL(this.#env().server);
    const sock = path.join(this.work, 'api.sock');
    this.#relayServer = net.createServer((c) => {
      const u = net.connect(Number(url.port), url.hostname);
      c.pipe(u);
      u.pipe(c);
      c.on('error', () => u.destroy());
      u.on('error', () => c.destroy());
    });
    await new Promise<void>((resolve) => this.#relayServer?.listen(sock, resolve));
  }

  /** A network namespace with its loopback up, deleted by stop() (or by the reaper if this process is killed first). */
  async addNetns(ns: string): Promise<string> {
    addNetns(ns);
    this.#namespaces.push(ns);
    await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /** argv that runs a command inside a host's namespace with its own agent directory bound at `work/run`. */
  inHost(host: Host, argv: readonly string[]): string[] {
    return [
      'ip',
      'netns',
      'exec',
      host.ns,
      'sh',
      '-c',
      'mount --bind "$1" "$2" && shift 2 && exec "$@"',
      'sh',
      path.join(host.dir, 'run'),
      path.join(this.work, 'run'),
      ...argv,
    ];
  }

  /**
   * Host `index` with its NICs from the topology (`topology.hosts[index - 1]`, or for a host beyond those
   * `hostNics(topology.networks, index)`): each a veth whose peer joins its network's bridge in the switch namespace.
   */
  async addHost(index: number, agentKubeconfig = path.join(this.work, 'multinic-agent.kubeconfig')): Promise<Host> {
    const nics: readonly TopologyNic[] = this.topology.hosts[index - 1] ?? hostNics(this.topology.networks, index);
    const host: Host = {
      index,
      name: `host-${index}`,
      ns: `mn-e2e-h${index}-${this.id}`,
      dir: path.join(this.work, `h${index}`),
      nics: nics.map((n) => ({
        name: n.name,
        cidr: n.address,
        network: n.network,
        ...(n.address6 === undefined || n.network6 === undefined ? {} : { cidr6: n.address6, network6: n.network6 }),
      })),
    };
    mkdirSync(path.join(host.dir, 'run'), { recursive: true });
    mkdirSync(path.join(host.dir, 'iproute2'), { recursive: true });
    await this.addNetns(host.ns);
    for (const [n, nic] of host.nics.entries()) {
      const peer = `h${index}n${n + 1}`;
      const bridge = this.topology.networks.find((net) => net.cidr === nic.network)?.bridge;
      if (bridge === undefined)
        throw new Error(`${host.name} ${nic.name}: ${nic.network} is not a network of the topology`);
      await ip(['-n', this.switchNs, 'link', 'add', peer, 'type', 'veth', 'peer', 'name', nic.name, 'netns', host.ns]);
      await ip(['-n', this.switchNs, 'link', 'set', peer, 'master', bridge, 'up']);
      await ip(['-n', host.ns, 'addr', 'add', nic.cidr, 'dev', nic.name]);
      // nodad: usable at once (a tentative address is one discovery leaves out until DAD is done).
      if (nic.cidr6 !== undefined) await ip(['-n', host.ns, 'addr', 'add', nic.cidr6, 'dev', nic.name, 'nodad']);
      await ip(['-n', host.ns, 'link', 'set', nic.name, 'up']);
    }
    this.hosts.push(host);
    await this.#startRelay(host);
    await this.#env()
      .kubeConfig.makeApiClient(CoreV1Api)
      .createNode({ body: { metadata: { name: host.name, labels: { 'kubernetes.io/hostname': host.name } } } });
    this.#writeAgentConfig(host, agentKubeconfig);
    this.startAgent(host);
    return host;
  }

  async #startRelay(host: Host): Promise<void> {
    const port = new URL(this.#env().server).port;
    host.relay = daemon(
      `relay-${host.name}`,
      ['ip', 'netns', 'exec', host.ns, process.execPath, '-e', RELAY_JS, path.join(this.work, 'api.sock'), port],
      path.join(host.dir, 'relay.log'),
    );
    const log = path.join(host.dir, 'relay.log');
    await waitFor(
      `the API relay in ${host.ns}`,
      () => Promise.resolve(existsSync(log) && readFileSync(log, 'utf8').includes('ready') ? true : undefined),
      15_000,
    );
  }

  #writeAgentConfig(host: Host, kubeconfig: string): void {
    const config = {
      nodeName: host.name,
      socketPath: this.agentSocket,
      stateDir: path.join(host.dir, 'state'),
      kubeconfig,
      logLevel: 'info',
      metrics: { host: '127.0.0.1', port: 0 },
      discovery: { pollMs: 1_000 },
      routes: { rtTablesDir: path.join(host.dir, 'iproute2') },
    };
    writeFileSync(path.join(host.dir, 'agent.json'), JSON.stringify(config, null, 2));
  }

  /** A host leaves: its agent and relay stop, its Node object goes, its namespace (and its links) is deleted. */
  async removeHost(host: Host): Promise<void> {
    // The agent first, then the host's way to the API server: a node shutting down stops its pods while its network
    // is still up, so the agent's last status write (its final releases) gets through.
    for (const d of [host.agent, host.relay]) if (d !== undefined) await stopDaemon(d);
    await this.kubeConfig.makeApiClient(CoreV1Api).deleteNode({ name: host.name });
    await this.#deleteNamespace(host.ns);
    this.hosts.splice(this.hosts.indexOf(host), 1);
  }

  /**
   * The host's agent. `sysfsClassNet`: a directory bound over /sys/class/net for the agent alone (inside its own mount
   * namespace, which `ip netns exec` makes private), so discovery reads stand-in hardware such as a PCI address
   * (`<if>/device/uevent` with `PCI_SLOT_NAME=`) for NICs that are veths here.
   */
  startAgent(host: Host, options: { readonly sysfsClassNet?: string } = {}): Daemon {
    const agent = [
      process.execPath,
      path.join(ROOT, 'packages/node-agent/dist/bin.js'),
      '--config',
      path.join(host.dir, 'agent.json'),
    ];
    const argv =
      options.sysfsClassNet === undefined
        ? agent
        : ['sh', '-c', 'mount --bind "$1" /sys/class/net && shift && exec "$@"', 'sh', options.sysfsClassNet, ...agent];
    host.agent = daemon(`agent-${host.name}`, this.inHost(host, argv), path.join(host.dir, 'agent.log'));
    return host.agent;
  }

  // ------------------------------------------------------------------------------------------------ networks

  /** Creates a MultiNicNetwork and waits until the controller reports it Ready. */
  async applyNetwork(network: { metadata: { name: string }; spec: Record<string, unknown> }): Promise<void> {
    const api = this.kubeConfig.makeApiClient(CustomObjectsApi);
    await api.createClusterCustomObject({
      ...MN,
      plural: 'multinicnetworks',
      body: { apiVersion: 'multinic.dev/v1', kind: 'MultiNicNetwork', ...network },
    });
    await this.waitNetworkReady(network.metadata.name);
  }

  async waitNetworkReady(name: string, pools = this.hosts.length * 2): Promise<void> {
    const api = this.kubeConfig.makeApiClient(CustomObjectsApi);
    await waitFor(
      `MultiNicNetwork ${name} Ready with ${pools} IPPools and its NAD`,
      async () => {
        const net = (await api.getClusterCustomObject({ ...MN, plural: 'multinicnetworks', name })) as {
          status?: { conditions?: { type: string; status: string }[] };
        };
        const ready = net.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        const list = (await api.listClusterCustomObject({
          ...MN,
          plural: 'ippools',
          labelSelector: `multinic.dev/network=${name}`,
        })) as { items: unknown[] };
        const nad = await api
          .getNamespacedCustomObject({
            group: 'k8s.cni.cncf.io',
            version: 'v1',
            plural: 'network-attachment-definitions',
            namespace: 'default',
            name,
          })
          .catch(() => undefined);
        return ready && list.items.length === pools && nad !== undefined ? true : undefined;
      },
      90_000,
    );
  }

  async ippools(network: string): Promise<IPPool[]> {
    const api = this.kubeConfig.makeApiClient(CustomObjectsApi);
    const list = (await api.listClusterCustomObject({
      ...MN,
      plural: 'ippools',
      labelSelector: `multinic.dev/network=${network}`,
    })) as { items: IPPool[] };
    return list.items;
  }

  // ------------------------------------------------------------------------------------------------ pods

  #multusConf(host: Host): string {
    return JSON.stringify({
      cniVersion: '1.0.0',
      name: 'multus-cni-network',
      type: 'multus',
      kubeconfig: this.#env().kubeconfigPath,
      cniDir: path.join(host.dir, 'multus'),
      binDir: path.join(this.work, 'bin'),
      logFile: path.join(host.dir, 'multus.log'),
      logLevel: 'verbose',
      delegates: [
        {
          cniVersion: '1.0.0',
          name: 'cluster',
          type: 'ptp',
          ipMasq: false,
          ipam: { type: 'host-local', subnet: `10.244.${host.index}.0/24`, dataDir: path.join(host.dir, 'host-local') },
        },
      ],
    });
  }

  /**
   * Runs multus inside the host namespace exactly as kubelet would for this pod. `deviceCheckpoint`: a file in the
   * kubelet's device-manager checkpoint format that multus finds at
   * /var/lib/kubelet/device-plugins/kubelet_internal_checkpoint — on a tmpfs in a private mount namespace of this
   * multus process only (`unshare -m`; the machine's /var/lib is never written), with no pod-resources socket, so
   * multus reads the checkpoint as it does on a node whose kubelet has no pod-resources API.
   */
  async multus(
    pod: Pod,
    command: 'ADD' | 'DEL' | 'CHECK',
    options: { readonly deviceCheckpoint?: string } = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = {
      CNI_COMMAND: command,
      CNI_CONTAINERID: pod.containerID,
      CNI_NETNS: `/run/netns/${pod.ns}`,
      CNI_IFNAME: 'eth0',
      CNI_PATH: this.cniPath,
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${pod.namespace};K8S_POD_NAME=${pod.name};K8S_POD_INFRA_CONTAINER_ID=${pod.containerID};K8S_POD_UID=${pod.uid}`,
    };
    const multus = path.join(this.work, 'bin', 'multus');
    const argv =
      options.deviceCheckpoint === undefined
        ? [multus]
        : [
            'unshare',
            '-m',
            '--propagation',
            'private',
            'sh',
            '-c',
            KUBELET_CHECKPOINT_SH,
            'sh',
            options.deviceCheckpoint,
            multus,
          ];
    const [cmd, ...args] = this.inHost(pod.host, argv);
    return run(cmd as string, args, { env, stdin: this.#multusConf(pod.host), timeoutMs: 60_000 });
  }

  /** Pod object, network namespace, multus ADD. Throws with multus' error when the ADD fails (the pod stays). */
  async createPod(options: PodOptions): Promise<Pod> {
    const pod = await this.newPod(options);
    const res = await this.multus(pod, 'ADD');
    if (res.code !== 0)
      throw new Error(
        `multus ADD for ${pod.name} on ${pod.host.name} failed (exit ${res.code}): ${res.stdout.trim()} ${res.stderr.trim()}`,
      );
    return pod;
  }

  /** The Pod object and its network namespace, before any CNI call. */
  async newPod(options: PodOptions): Promise<Pod> {
    const namespace = options.namespace ?? 'default';
    const core = this.kubeConfig.makeApiClient(CoreV1Api);
    const created = await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: options.name, annotations: { [NETWORKS_ANNOTATION]: options.networks } },
        spec: { nodeName: options.host.name, containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
      },
    });
    const pod: Pod = {
      name: options.name,
      namespace,
      uid: created.metadata?.uid ?? randomUUID(),
      host: options.host,
      ns: `mn-e2e-p-${options.name}-${this.id}`,
      containerID: randomBytes(32).toString('hex'),
    };
    this.pods.set(options.name, pod);
    await this.addNetns(pod.ns);
    return pod;
  }

  /** multus DEL (as kubelet does when the pod goes), then the Pod object and the namespace. */
  async deletePod(pod: Pod): Promise<void> {
    const res = await this.multus(pod, 'DEL');
    if (res.code !== 0)
      throw new Error(
        `multus DEL for ${pod.name} failed (exit ${res.code}): ${res.stdout.trim()} ${res.stderr.trim()}`,
      );
    await this.kubeConfig
      .makeApiClient(CoreV1Api)
      .deleteNamespacedPod({ name: pod.name, namespace: pod.namespace, gracePeriodSeconds: 0 });
    await this.#deleteNamespace(pod.ns);
    this.pods.delete(pod.name);
  }

  async #deleteNamespace(ns: string): Promise<void> {
    deleteNetns(ns);
    const i = this.#namespaces.indexOf(ns);
    if (i >= 0) this.#namespaces.splice(i, 1);
  }

  /** IPv4 and global IPv6 addresses of the pod's interfaces (loopback and link-local left out), from its namespace. */
  async podInterfaces(pod: Pod): Promise<PodInterface[]> {
    const out = JSON.parse(await ip(['-n', pod.ns, '-j', 'addr', 'show'])) as {
      ifname: string;
      addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[];
    }[];
    return out.flatMap((l) =>
      l.ifname === 'lo'
        ? []
        : (l.addr_info ?? [])
            .filter((a) => a.family === 'inet' || (a.family === 'inet6' && a.scope === 'global'))
            .map((a) => ({ name: l.ifname, address: `${a.local}/${a.prefixlen}` })),
    );
  }

  async networkStatus(pod: Pod): Promise<NetworkStatus[]> {
    const p = await this.kubeConfig
      .makeApiClient(CoreV1Api)
      .readNamespacedPod({ name: pod.name, namespace: pod.namespace });
    const text = p.metadata?.annotations?.[STATUS_ANNOTATION];
    return text === undefined ? [] : (JSON.parse(text) as NetworkStatus[]);
  }

  /**
   * `ping -4|-6 -c1 -W1` from the pod's namespace (the family of `address`); up to `attempts` tries (a loaded machine
   * can lose the first ARP or neighbour solicitation).
   */
  async ping(from: Pod | { ns: string }, address: string, attempts = 3): Promise<boolean> {
    const family = address.includes(':') ? '-6' : '-4';
    for (let i = 0; i < attempts; i++) {
      if ((await run('ip', ['netns', 'exec', from.ns, 'ping', family, '-n', '-q', '-c1', '-W1', address])).code === 0)
        return true;
    }
    return false;
  }

  /** Every namespace whose name carries this cluster's id (what `ip netns list` still shows). */
  async leftoverNamespaces(): Promise<string[]> {
    const out = await runOk('ip', ['netns', 'list']);
    return out
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((n) => n.includes(this.id));
  }

  /** Tears everything down: pods' namespaces, agents, relays, controller, hosts, switch, control plane, files. */
  /**
   * Every address held by more than one allocation on one NIC network, across all IPPools of all networks (the
   * invariant an IPAM must never break); empty when the record is sound. A NIC network is the HostInterface
   * `netAddress` of the pool's (host, interface).
   */
  async addressesHeldTwice(): Promise<string[]> {
    const api = this.kubeConfig.makeApiClient(CustomObjectsApi);
    type HostInterfaces = {
      items: {
        metadata: { name: string };
        spec?: { interfaces?: { interfaceName?: string; netAddress?: string }[] };
      }[];
    };
    // Lists retried for a while: right after an API server restart custom resources answer 429 until their storage is up.
    const [his, pools] = await waitFor(
      'the HostInterfaces and IPPools to be listed',
      async () =>
        [
          (await api.listClusterCustomObject({ ...MN, plural: 'hostinterfaces' })) as HostInterfaces,
          (await api.listClusterCustomObject({ ...MN, plural: 'ippools' })) as { items: IPPool[] },
        ] as const,
      60_000,
    );
    const netOf = new Map(
      his.items.flatMap((hi) =>
        (hi.spec?.interfaces ?? []).map((nic) => [
          `${hi.metadata.name}/${nic.interfaceName ?? ''}`,
          nic.netAddress ?? '?',
        ]),
      ),
    );
    const holders = new Map<string, string[]>();
    for (const pool of pools.items) {
      const net =
        netOf.get(`${pool.spec.hostName}/${pool.spec.interfaceName}`) ??
        `${pool.spec.hostName}/${pool.spec.interfaceName}`;
      for (const a of pool.status?.allocations ?? []) {
        const key = `${a.address} on ${net}`;
        holders.set(key, [...(holders.get(key) ?? []), `${pool.metadata.name}:${a.podUID}`]);
      }
    }
    return [...holders].filter(([, h]) => h.length > 1).map(([key, h]) => `${key}: ${h.join(', ')}`);
  }

  /**
   * stop(), after looking for addresses held twice: throws, once everything is torn down, if there are any. A
   * cluster a test already stopped was checked by that test.
   */
  async stopChecked(): Promise<void> {
    if (this.env === undefined) return;
    let twice: string[] = [];
    let refused: string[] = [];
    try {
      twice = await this.addressesHeldTwice();
      refused = this.refusedRequests();
    } finally {
      await this.stop();
    }
    if (twice.length > 0) throw new Error(`addresses held twice on one NIC network: ${twice.join('; ')}`);
    if (refused.length > 0)
      throw new Error(
        `the API server refused the components' requests (the chart's RBAC as rendered is not enough):\n${refused.join('\n')}`,
      );
  }

  /**
   * Log lines of the controller and the agents about requests the API server refused for authentication,
   * authorization or validation: the components run under the chart's RBAC as rendered, which must cover all they do.
   */
  refusedRequests(): string[] {
    const logs = [path.join(this.work, 'controller.log'), ...this.hosts.map((h) => path.join(h.dir, 'agent.log'))];
    return logs.flatMap((file) => {
      if (!existsSync(file)) return [];
      return refusedLines(readFileSync(file, 'utf8').split('\n')).map(
        (l) => `${path.basename(path.dirname(file))}/${path.basename(file)}: ${l.slice(0, 400)}`,
      );
    });
  }

  async stop(options: { keepFiles?: boolean } = {}): Promise<void> {
    const stops: Promise<void>[] = [];
    if (this.controller !== undefined) stops.push(stopDaemon(this.controller));
    for (const h of this.hosts) {
      if (h.agent !== undefined) stops.push(stopDaemon(h.agent));
      if (h.relay !== undefined) stops.push(stopDaemon(h.relay));
    }
    await Promise.all(stops);
    for (const ns of [...this.#namespaces].reverse()) await this.#deleteNamespace(ns);
    await new Promise<void>((resolve) =>
      this.#relayServer === undefined ? resolve() : this.#relayServer.close(() => resolve()),
    );
    this.#relayServer = undefined;
    await this.env?.stop();
    this.env = undefined;
    if (options.keepFiles !== true) rmSync(this.work, { recursive: true, force: true });
  }
}

export interface IPPool {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { hostName: string; interfaceName: string; podCIDR: string; vlanCIDR?: string };
  status?: { allocations?: { address: string; containerID: string; interface: string; podUID: string }[] };
}

export interface NetworkStatus {
  name: string;
  interface?: string;
  ips?: string[];
  mac?: string;
  default?: boolean;
}
