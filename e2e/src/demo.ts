// `./run demo [-f FILE|DIR …]`: a local 3-host cluster in network namespaces (the topology in ./topology.ts,
// DEMO_NETWORKS), the user's manifests (MultiNicNetwork, NicClass, NADs, Pods with their Multus annotations) or
// else examples/macvlan-bridge.yaml with 6 pods, every pod through the real Multus, a table of every pod's interfaces
// and pings per network, then teardown (or --keep). Last line: a JSON summary. Exit 0 all pings answered, 1 not (or
// a failure), 2 bad input (before any cluster is started).
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { Cluster, NETWORKS_ANNOTATION, ROOT, type Pod } from './cluster.js';
import {
  DemoInputError,
  expectedPools,
  loadManifests,
  objectOf,
  topologyProblems,
  type Manifests,
} from './manifests.js';
import { attachments, formatTable, pingMatrix, type Attachment, type PingResult } from './survey.js';
import { DEMO_NETWORKS, describeTopology, makeTopology, type Topology } from './topology.js';

const BUILT_IN = path.join(ROOT, 'examples/macvlan-bridge.yaml');

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

interface DemoOptions {
  readonly keep: boolean;
  readonly hosts: number;
  /** Pods per network when the manifests have networks but no pods. */
  readonly pods: number;
  readonly files: readonly string[];
}

/** The demo's last line. ping_ok and ping_total are the sums of the per-family counts. */
interface Summary {
  pods: number;
  interfaces: number;
  ping_ok: number;
  ping_total: number;
  ping_ok_v4: number;
  ping_total_v4: number;
  ping_ok_v6: number;
  ping_total_v6: number;
}

/** The summary's ping counts, in all and per family. */
function pingCounts(pings: readonly PingResult[]): Omit<Summary, 'pods' | 'interfaces'> {
  const ok = (family: 4 | 6): number => pings.filter((p) => p.family === family && p.ok).length;
  const total = (family: 4 | 6): number => pings.filter((p) => p.family === family).length;
  return {
    ping_ok: ok(4) + ok(6),
    ping_total: total(4) + total(6),
    ping_ok_v4: ok(4),
    ping_total_v4: total(4),
    ping_ok_v6: ok(6),
    ping_total_v6: total(6),
  };
}

async function demo(options: DemoOptions, manifests: Manifests, topology: Topology): Promise<number> {
  const t0 = Date.now();
  say(`Bringing up a control plane and ${options.hosts} hosts (network namespaces; a bridge per NIC network):`);
  for (const line of describeTopology(topology)) say(`  ${line}`);
  const cluster = await Cluster.start({ topology, log: (l) => say(`  ${l}`) });
  say(`  cluster ${cluster.id}: network namespaces mn-e2e-*-${cluster.id}, files in ${cluster.work}`);
  const interrupted = onSignal(async () => {
    process.stderr.write('interrupted: tearing down…\n');
    await cluster.stop();
  });
  let keepFiles = false;
  try {
    const { summary, failures } = await showPods(cluster, options, manifests);
    say(`${((Date.now() - t0) / 1000).toFixed(1)} s in all`);
    if (options.keep) printKeep(cluster);
    say(JSON.stringify(summary));
    if (options.keep) await interrupted;
    return failures === 0 && summary.ping_ok === summary.ping_total && summary.ping_total > 0 ? 0 : 1;
  } catch (err) {
    keepFiles = true;
    process.stderr.write(`logs kept in ${cluster.work}\n`);
    throw err;
  } finally {
    await cluster.stop({ keepFiles });
  }
}

/** Resolves after the first SIGINT or SIGTERM has run `fn`. */
function onSignal(fn: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const handler = (): void => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      fn().then(resolve, resolve);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

/** Namespaces, NicClasses, networks (each until Ready), NADs, in that order. */
async function applyObjects(cluster: Cluster, manifests: Manifests): Promise<void> {
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  const custom = cluster.kubeConfig.makeApiClient(CustomObjectsApi);
  const body = objectOf;
  const wanted = new Set([
    ...manifests.namespaces.map((n) => n.metadata.name),
    ...[...manifests.pods, ...manifests.nads].map((m) => m.metadata.namespace ?? 'default'),
  ]);
  const existing = new Set((await core.listNamespace()).items.map((n) => n.metadata?.name));
  for (const name of wanted) {
    if (existing.has(name)) continue;
    const given = manifests.namespaces.find((n) => n.metadata.name === name);
    await core.createNamespace({ body: given === undefined ? { metadata: { name } } : body(given) });
  }
  for (const nc of manifests.nicClasses)
    await custom.createClusterCustomObject({
      group: 'multinic.dev',
      version: 'v1',
      plural: 'nicclasses',
      body: body(nc),
    });
  for (const net of manifests.networks) {
    say(`Applying MultiNicNetwork ${net.metadata.name} (${net.source})…`);
    await custom.createClusterCustomObject({
      group: 'multinic.dev',
      version: 'v1',
      plural: 'multinicnetworks',
      body: body(net),
    });
    await cluster.waitNetworkReady(net.metadata.name, expectedPools(net, cluster.topology));
  }
  for (const nad of manifests.nads) {
    say(`Applying NetworkAttachmentDefinition ${nad.metadata.name} (${nad.source})…`);
    await custom.createNamespacedCustomObject({
      group: 'k8s.cni.cncf.io',
      version: 'v1',
      plural: 'network-attachment-definitions',
      namespace: nad.metadata.namespace ?? 'default',
      body: body(nad),
    });
  }
}

interface PodPlan {
  readonly name: string;
  readonly namespace: string;
  readonly networks: string;
  readonly nodeName: string | undefined;
}

/** The pods to create: the manifests' own, or `perNetwork` pods on each network when there are none. */
function podPlans(manifests: Manifests, perNetwork: number): PodPlan[] {
  if (manifests.pods.length > 0)
    return manifests.pods.map((p) => ({
      name: p.metadata.name,
      namespace: p.metadata.namespace ?? 'default',
      networks: p.metadata.annotations?.[NETWORKS_ANNOTATION] ?? '',
      nodeName: p.spec?.['nodeName'] as string | undefined,
    }));
  const single = manifests.networks.length === 1;
  return manifests.networks.flatMap((net) =>
    Array.from({ length: perNetwork }, (_, i) => ({
      name: single ? `pod-${i + 1}` : `${net.metadata.name}-${i + 1}`,
      namespace: 'default',
      networks: JSON.stringify([{ name: net.metadata.name }]),
      nodeName: undefined,
    })),
  );
}

/** Multus' own error message (its JSON `msg`) rather than the whole output of the failed ADD. */
function multusError(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const msg = /"msg":\s*("(?:[^"\\]|\\.)*")/.exec(text)?.[1];
  return msg === undefined ? text : `multus ADD failed: ${JSON.parse(msg) as string}`;
}

async function createPods(cluster: Cluster, plans: readonly PodPlan[]): Promise<{ pods: Pod[]; failures: number }> {
  const pods: Pod[] = [];
  let failures = 0;
  let next = 0;
  for (const plan of plans) {
    const host =
      plan.nodeName === undefined
        ? cluster.hosts[next++ % cluster.hosts.length]
        : cluster.hosts.find((h) => h.name === plan.nodeName);
    if (host === undefined) throw new Error(`no host for pod ${plan.name}`);
    try {
      pods.push(await cluster.createPod({ name: plan.name, host, networks: plan.networks, namespace: plan.namespace }));
    } catch (err) {
      failures += 1;
      say(`  pod ${plan.name} on ${host.name}: ${multusError(err)}`);
    }
  }
  return { pods, failures };
}

/** Interfaces of `pods` on no network's IPPools (e.g. from a user's own NAD): listed, not pinged. */
async function otherInterfaces(
  cluster: Cluster,
  pods: readonly Pod[],
  known: readonly Attachment[],
): Promise<Attachment[]> {
  const rows: Attachment[] = [];
  for (const pod of pods)
    for (const i of await cluster.podInterfaces(pod))
      if (i.name !== 'eth0' && !known.some((k) => k.pod === pod.name && k.address === i.address))
        rows.push({
          pod: pod.name,
          host: pod.host.name,
          interface: i.name,
          address: i.address,
          nic: undefined,
          pool: undefined,
          nicNetwork: undefined,
        });
  return rows;
}

async function showPods(
  cluster: Cluster,
  options: DemoOptions,
  manifests: Manifests,
): Promise<{ summary: Summary; failures: number }> {
  await applyObjects(cluster, manifests);
  const plans = podPlans(manifests, options.pods);
  if (manifests.pods.length === 0)
    say(
      `No pods in the manifests: creating ${options.pods} per network (--pods), placed round-robin on the hosts, each asking for its network in ${NETWORKS_ANNOTATION}…`,
    );
  say(`Creating ${plans.length} pods (Pod object, network namespace, multus ADD inside the host namespace)…`);
  const { pods, failures } = await createPods(cluster, plans);
  const all: Attachment[] = [];
  const pings: PingResult[] = [];
  for (const net of manifests.networks) {
    // The IPPools as they are now, with the pods up: an interface in no live pool's block is listed apart, not hidden.
    const rows = (await attachments(cluster, net.metadata.name, pods)).filter((r) => r.pool !== undefined);
    const mine = await pingMatrix(cluster, rows);
    all.push(...rows);
    pings.push(...mine);
    say('');
    say(`MultiNicNetwork ${net.metadata.name}:`);
    say(rows.length === 0 ? '(no pod has an interface on it)' : formatTable(rows, mine));
    say(`${mine.filter((p) => p.ok).length}/${mine.length} pings answered on ${net.metadata.name}`);
  }
  const others = await otherInterfaces(cluster, pods, all);
  if (others.length > 0) {
    say('');
    say('Other secondary interfaces (on no MultiNicNetwork; not pinged):');
    say(formatTable(others, []));
  }
  say('');
  const counts = pingCounts(pings);
  // A row is an address: a dual-stack interface has two.
  const interfaces = new Set([...all, ...others].map((r) => `${r.pod}/${r.interface}`)).size;
  say(
    `${interfaces} interfaces on ${pods.length} pods; ${counts.ping_ok}/${counts.ping_total} pings answered (IPv4 ${counts.ping_ok_v4}/${counts.ping_total_v4}, IPv6 ${counts.ping_ok_v6}/${counts.ping_total_v6})`,
  );
  if (failures > 0) say(`${failures} pods could not be created (see above)`);
  return { summary: { pods: pods.length, interfaces, ...counts }, failures };
}

function printKeep(cluster: Cluster): void {
  const first = [...cluster.pods.values()][0];
  say('');
  say('Kept running (--keep); Ctrl-C (or SIGTERM to this process) tears everything down. Meanwhile:');
  say(`  export KUBECONFIG=${cluster.env?.kubeconfigPath ?? '?'} PATH=${path.join(ROOT, '.cache/bin')}:$PATH`);
  say('  kubectl get multinicnetworks,cidrs,ippools,network-attachment-definitions,pods -A');
  say(`  ip netns list | grep ${cluster.id}     # e.g. ip netns exec ${first?.ns ?? '?'} ip addr`);
  say(`  logs: ${cluster.work}/controller.log, ${cluster.work}/h*/{agent,multus}.log`);
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new DemoInputError(`${flag} must be a whole number of at least 1, not ${text}`);
  return n;
}

function parseOptions(argv: readonly string[]): DemoOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        keep: { type: 'boolean', default: false },
        hosts: { type: 'string', default: '3' },
        pods: { type: 'string', default: '6' },
        file: { type: 'string', short: 'f', multiple: true },
      },
    }));
  } catch (err) {
    throw new DemoInputError(
      `${err instanceof Error ? err.message : String(err)} (usage: ./run demo [-f FILE|DIR …] [--hosts N] [--pods N] [--keep])`,
    );
  }
  return {
    keep: values.keep,
    hosts: positiveInt('--hosts', values.hosts),
    pods: positiveInt('--pods', values.pods),
    files: values.file ?? [],
  };
}

async function main(): Promise<number> {
  let options: DemoOptions;
  let manifests: Manifests;
  let topology: Topology;
  try {
    options = parseOptions(process.argv.slice(2));
    topology = makeTopology({ hosts: options.hosts, networks: DEMO_NETWORKS });
    manifests = loadManifests(options.files.length > 0 ? options.files : [BUILT_IN]);
    const problems = topologyProblems(manifests, topology);
    if (problems.length > 0) throw new DemoInputError(problems.join('\n'));
  } catch (err) {
    if (!(err instanceof DemoInputError)) throw err;
    process.stderr.write(`demo: ${err.message}\n`);
    return 2;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write(
      'pnpm demo needs root: it creates network namespaces, veth pairs and bridges, and runs Multus and the CNI plugins (run it as root, e.g. sudo -E pnpm demo).\n',
    );
    return 2;
  }
  return demo(options, manifests, topology);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
