// `pnpm demo`: a local 3-host cluster in network namespaces, the examples/ macvlan network, 6 pods through the real
// Multus, a table of every pod's interfaces and pings, then teardown (or --keep). Last line: a JSON summary.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Cluster, ROOT, type Pod } from './cluster.js';
import { macvlanNetwork, NETWORK } from './network.js';
import { attachments, formatTable, pingMatrix } from './survey.js';

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function demo(options: { keep: boolean; hosts: number; pods: number }): Promise<number> {
  const t0 = Date.now();
  say(
    `Bringing up a control plane and ${options.hosts} hosts (network namespaces, two NICs each: 10.10.1.0/24, 10.10.2.0/24)…`,
  );
  const cluster = await Cluster.start({ hosts: options.hosts, log: (l) => say(`  ${l}`) });
  const interrupted = onSignal(async () => {
    process.stderr.write('interrupted: tearing down…\n');
    await cluster.stop();
  });
  let keepFiles = false;
  try {
    const summary = await showPods(cluster, options);
    say(`${((Date.now() - t0) / 1000).toFixed(1)} s in all`);
    if (options.keep) printKeep(cluster);
    say(JSON.stringify(summary));
    if (options.keep) await interrupted;
    return summary.ping_ok === summary.ping_total && summary.ping_total > 0 ? 0 : 1;
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

interface Summary {
  pods: number;
  interfaces: number;
  ping_ok: number;
  ping_total: number;
}

async function showPods(cluster: Cluster, options: { pods: number }): Promise<Summary> {
  const network = macvlanNetwork();
  say(
    `Applying examples/macvlan-bridge.yaml (${NETWORK}, subnet ${String(network.spec['subnet'])}; masterNets set to this topology's 10.10.1.0/24 and 10.10.2.0/24)…`,
  );
  await cluster.applyNetwork(network);
  say(`Creating ${options.pods} pods (Pod object, network namespace, multus ADD inside the host namespace)…`);
  const pods: Pod[] = [];
  for (let i = 0; i < options.pods; i++) {
    const host = cluster.hosts[i % cluster.hosts.length];
    if (host === undefined) throw new Error('no hosts');
    pods.push(await cluster.createPod({ name: `pod-${i + 1}`, host, networks: JSON.stringify([{ name: NETWORK }]) }));
  }
  const rows = await attachments(cluster, NETWORK, pods);
  const pings = await pingMatrix(cluster, rows);
  say('');
  say(formatTable(rows, pings));
  say('');
  const ok = pings.filter((p) => p.ok).length;
  say(`${rows.length} interfaces on ${pods.length} pods; ${ok}/${pings.length} pings answered`);
  return { pods: pods.length, interfaces: rows.length, ping_ok: ok, ping_total: pings.length };
}

function printKeep(cluster: Cluster): void {
  say('');
  say('Kept running (--keep); Ctrl-C (or SIGTERM to this process) tears everything down. Meanwhile:');
  say(`  export KUBECONFIG=${cluster.env?.kubeconfigPath ?? '?'} PATH=${path.join(ROOT, '.cache/bin')}:$PATH`);
  say('  kubectl get multinicnetworks,cidrs,ippools,network-attachment-definitions,pods -A');
  say(`  ip netns list | grep ${cluster.id}     # e.g. ip netns exec ${cluster.pods.get('pod-1')?.ns ?? '?'} ip addr`);
  say(`  logs: ${cluster.work}/controller.log, ${cluster.work}/h*/{agent,multus}.log`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      keep: { type: 'boolean', default: false },
      hosts: { type: 'string', default: '3' },
      pods: { type: 'string', default: '6' },
    },
  });
  if (process.getuid?.() !== 0) {
    process.stderr.write(
      'pnpm demo needs root: it creates network namespaces, veth pairs and bridges, and runs Multus and the CNI plugins (run it as root, e.g. sudo -E pnpm demo).\n',
    );
    return 2;
  }
  return demo({ keep: values.keep, hosts: Number(values.hosts), pods: Number(values.pods) });
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
