// What `./run demo -f FILE|DIR …` applies: the user's manifests read and sorted by kind, and checked against the
// local topology before any cluster is started (an unknown kind, a network the controller would refuse, or masterNets
// that name no NIC of the topology is a message and exit 2, not a Ready wait that times out).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { formatPrefix, parsePrefix } from '@multinic/cidr-core';
import { checkNetworkSpec } from '@multinic/netconf';
import { parseAllDocuments } from 'yaml';
import type { Topology } from './topology.js';

/** A problem with the demo's input: the demo prints it and exits 2. */
export class DemoInputError extends Error {
  readonly code = 2;
}

export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec?: Record<string, unknown>;
  /** Where it came from, for messages: `file (document n)`. */
  readonly source: string;
}

export interface Manifests {
  readonly namespaces: readonly Manifest[];
  readonly nicClasses: readonly Manifest[];
  readonly networks: readonly Manifest[];
  readonly nads: readonly Manifest[];
  readonly pods: readonly Manifest[];
}

/** The object as applied (without the demo's `source`). */
export function objectOf(manifest: Manifest): object {
  const { source: _source, ...object } = manifest;
  return object;
}

/** apiVersion + kind → where it goes; the order of the keys is the order they are applied in. */
const KINDS = {
  'v1 Namespace': 'namespaces',
  'multinic.dev/v1 NicClass': 'nicClasses',
  'multinic.dev/v1 MultiNicNetwork': 'networks',
  'k8s.cni.cncf.io/v1 NetworkAttachmentDefinition': 'nads',
  'v1 Pod': 'pods',
} as const satisfies Record<string, keyof Manifests>;

const LEGACY_GROUP = 'multinic.fms.io';

/** The files a -f argument names: the file, or a folder's *.yaml, *.yml and *.json files (not its subfolders). */
function filesOf(arg: string): string[] {
  let stat;
  try {
    stat = statSync(arg);
  } catch {
    throw new DemoInputError(`${arg}: no such file or folder`);
  }
  if (!stat.isDirectory()) return [arg];
  const files = readdirSync(arg)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => path.join(arg, f));
  if (files.length === 0) throw new DemoInputError(`${arg}: no .yaml, .yml or .json file in this folder`);
  return files;
}

function documentsOf(file: string): { value: unknown; source: string }[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const out: { value: unknown; source: string }[] = [];
  for (const [i, doc] of docs.entries()) {
    const source = docs.length > 1 ? `${file} (document ${i + 1})` : file;
    if (doc.errors.length > 0) throw new DemoInputError(`${source}: not YAML: ${doc.errors[0]?.message ?? ''}`);
    const value = doc.toJS() as unknown;
    if (value !== null && value !== undefined) out.push({ value, source });
  }
  return out;
}

function manifestOf(value: unknown, source: string): { manifest: Manifest; bucket: keyof Manifests } {
  const v = value as Partial<Manifest> | null;
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new DemoInputError(`${source}: expected a Kubernetes manifest (a YAML mapping)`);
  const kind = String(v.kind ?? '(no kind)');
  const apiVersion = String(v.apiVersion ?? '(no apiVersion)');
  if (apiVersion.startsWith(`${LEGACY_GROUP}/`))
    throw new DemoInputError(
      `${source}: ${kind} ${apiVersion} is multi-nic-cni's: convert it first with \`./run multinic migrate -f ${source.split(' (')[0] ?? source}\``,
    );
  const bucket = (KINDS as Record<string, keyof Manifests>)[`${apiVersion} ${kind}`];
  if (bucket === undefined)
    throw new DemoInputError(
      `${source}: kind ${kind} (apiVersion ${apiVersion}) is not one the demo applies; it applies ${Object.keys(KINDS)
        .map((k) => k.replace(' ', ' kind '))
        .map((k) => `${k.split(' kind ')[1] ?? ''} (${k.split(' kind ')[0] ?? ''})`)
        .join(', ')}`,
    );
  if (typeof v.metadata?.name !== 'string' || v.metadata.name === '')
    throw new DemoInputError(`${source}: ${kind} has no metadata.name`);
  return { manifest: { ...(v as Manifest), source }, bucket };
}

/** Reads every document of every file or folder in `args`, sorted by kind. Throws DemoInputError. */
export function loadManifests(args: readonly string[]): Manifests {
  const out: Record<keyof Manifests, Manifest[]> = { namespaces: [], nicClasses: [], networks: [], nads: [], pods: [] };
  for (const file of args.flatMap(filesOf))
    for (const { value, source } of documentsOf(file)) {
      const { manifest, bucket } = manifestOf(value, source);
      out[bucket].push(manifest);
    }
  if (Object.values(out).every((list) => list.length === 0))
    throw new DemoInputError(`${args.join(', ')}: no manifest to apply`);
  return out;
}

const canonical = (text: string): string => {
  const parsed = parsePrefix(text);
  return parsed.ok ? formatPrefix(parsed.value) : text;
};

/**
 * The NIC networks (their IPv4 CIDRs) a MultiNicNetwork's masterNets pick in `topology`, each named by its IPv4 CIDR
 * or its IPv6 prefix (every network when masterNets is empty).
 */
export function matchedNetworks(network: Manifest, topology: Topology): string[] {
  const masterNets = ((network.spec?.['masterNets'] as string[] | undefined) ?? []).map(canonical);
  const all = topology.networks;
  const named = (n: (typeof all)[number]): boolean =>
    masterNets.includes(canonical(n.cidr)) || (n.ipv6 !== undefined && masterNets.includes(canonical(n.ipv6)));
  return (masterNets.length === 0 ? all : all.filter(named)).map((n) => n.cidr);
}

/**
 * How many IPPools the controller writes for `network` on `topology`: one per host NIC on a matched network and pod
 * subnet family (`subnets` of a dual-stack network: two).
 */
export function expectedPools(network: Manifest, topology: Topology): number {
  const matched = new Set(matchedNetworks(network, topology));
  const subnets = network.spec?.['subnets'];
  const families = Array.isArray(subnets) ? subnets.length : 1;
  return families * topology.hosts.reduce((sum, nics) => sum + nics.filter((n) => matched.has(n.network)).length, 0);
}

/**
 * Everything the demo can tell before it starts: each network passes the controller's own check, and its masterNets
 * name at least one NIC network of the topology; a pod's spec.nodeName names a host of the topology.
 */
export function topologyProblems(manifests: Manifests, topology: Topology): string[] {
  const problems: string[] = [];
  const existing = [
    ...topology.networks.map((n) => n.cidr),
    ...topology.networks.flatMap((n) => (n.ipv6 === undefined ? [] : [n.ipv6])),
  ].join(', ');
  for (const net of manifests.networks) {
    const checked = checkNetworkSpec(objectOf(net));
    if (!checked.ok) {
      problems.push(
        `${net.source}: MultiNicNetwork ${net.metadata.name} would be InvalidSpec:\n    ${checked.problems.join('\n    ')}`,
      );
      continue;
    }
    if (matchedNetworks(net, topology).length === 0) {
      const masterNets = (net.spec?.['masterNets'] as string[] | undefined) ?? [];
      problems.push(
        `${net.source}: MultiNicNetwork ${net.metadata.name}: masterNets [${masterNets.join(', ')}] match no NIC of the demo's hosts; the NIC networks that exist are ${existing} (set masterNets to some of them)`,
      );
    }
  }
  const hosts = topology.hosts.map((_, i) => `host-${i + 1}`);
  for (const pod of manifests.pods) {
    const nodeName = (pod.spec?.['nodeName'] as string | undefined) ?? undefined;
    if (nodeName !== undefined && !hosts.includes(nodeName))
      problems.push(
        `${pod.source}: Pod ${pod.metadata.name}: spec.nodeName ${nodeName} is not a host of the demo (${hosts.join(', ')})`,
      );
  }
  return problems;
}
