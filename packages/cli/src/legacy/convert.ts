// multi-nic-cni's objects (multinic.fms.io/v1, earlier net.cogadvisor.io/v1) → multinic.dev/v1: the MultiNicNetwork
// and the cluster state its controller and daemons wrote (CIDR, IPPool with its allocations, HostInterface, and
// DeviceClass → NicClass). No I/O: the command reads the files and prints what this returns.
//
// Allocations: multi-nic-cni records {pod, namespace, index, address} in IPPool.spec; multinic keeps them in
// IPPool.status.allocations keyed by the pod's UID. The pods (`kubectl get pods -A -o yaml`, given with the other
// files) supply the UIDs. A node agent that starts without a checkpoint adopts its IPPools' status, so the converted
// allocations stay held until their pods are gone (pod GC frees by pod UID) and no new pod gets one of them.
import type { z } from 'zod';
import { formatAddress, parseAddress, parsePrefix, poolName, prefixContainsAddress } from '@multinic/cidr-core';
import {
  API_GROUP,
  API_VERSION,
  CidrSchema,
  HOST_LABEL,
  HostInterfaceSchema,
  INTERFACE_LABEL,
  IPPoolSchema,
  MultiNicNetworkSchema,
  NETWORK_LABEL,
  NETWORK_STATUS_ANNOTATION,
  NETWORKS_ANNOTATION,
  NicClassSchema,
  REBUILT_CONTAINER_PREFIX,
  formatPath,
  formatProblem,
  parseNetworksAnnotation,
  parseWith,
} from '@multinic/crd-types';
import { InputError } from '../io.js';
import { indent } from '../parse-document.js';
import {
  CIDR_SPEC,
  DEVICE_CLASS_SPEC,
  HOST_INTERFACE_SPEC,
  IPAM,
  IPPOOL_SPEC,
  NETWORK_SPEC,
  goSpelling,
  type Fields,
} from './spellings.js';

/** multi-nic-cni's API group, and the one it had before (net.cogadvisor.io). */
export const LEGACY_API_GROUPS = ['multinic.fms.io', 'net.cogadvisor.io'] as const;

/**
 * The containerID prefix of a converted allocation: the node agent's one for an allocation it did not make itself
 * (crd-types `REBUILT_CONTAINER_PREFIX`), so the pod's CNI DEL releases it.
 */
export const CONVERTED_CONTAINER_PREFIX = REBUILT_CONTAINER_PREFIX;

/** One object to convert and where it came from (for messages): `file (document 2)`, `… items[3]`. */
export interface MigrateSource {
  readonly place: string;
  readonly value: unknown;
}

export interface MigrateResult {
  /** multinic.dev/v1 objects, networks first, then NicClasses, HostInterfaces, CIDRs, IPPools. */
  readonly objects: Record<string, unknown>[];
  /** One line per thing converted, respelled, renamed or dropped (and why), each starting with its place. */
  readonly notes: string[];
  /** Allocations carried over into IPPool status (the IPPools must be applied with their status). */
  readonly allocations: number;
}

type Obj = Record<string, unknown> & {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: unknown;
  spec?: unknown;
  status?: unknown;
};

interface Item {
  readonly place: string;
  readonly obj: Obj;
}

interface PodInfo {
  readonly uid: string;
  readonly nodeName: string | undefined;
  readonly phase: string | undefined;
  readonly annotations: Readonly<Record<string, string>>;
}

interface Ctx {
  readonly notes: string[];
  readonly pods: ReadonlyMap<string, PodInfo>;
  allocations: number;
}

const OUTPUT_ORDER = ['MultiNicNetwork', 'NicClass', 'HostInterface', 'CIDR', 'IPPool'];
/** Metadata that belongs to the old object's life in its cluster, not to its definition. */
const SERVER_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink'];
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const ENDED = new Set(['Succeeded', 'Failed']);
const IFNAME = /^[^\s/:]{1,15}$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const groupOf = (apiVersion: unknown): string | undefined =>
  typeof apiVersion === 'string' ? apiVersion.split('/')[0] : undefined;
const isLegacy = (obj: Obj): boolean =>
  (LEGACY_API_GROUPS as readonly string[]).includes(groupOf(obj.apiVersion) ?? '');

/** Converts multi-nic-cni objects (any order; `kind: List` and `*List` expanded; Pods read for allocations). */
export function migrateObjects(sources: readonly MigrateSource[]): MigrateResult {
  const items = sources.flatMap((s) => expand(s.place, s.value));
  const notes: string[] = [];
  const ctx: Ctx = { notes, pods: podIndex(items), allocations: 0 };
  const pods = items.filter((i) => isPod(i.obj)).length;
  if (pods > 0) notes.push(`read ${pods} pods for the UIDs of IPPool allocations (pods themselves are not output)`);
  const objects: Record<string, unknown>[] = [];
  for (const item of items) {
    if (isPod(item.obj)) continue;
    const converted = convertItem(item, ctx);
    if (converted !== undefined) objects.push(converted);
  }
  const rank = (o: Record<string, unknown>): number => OUTPUT_ORDER.indexOf(String(o['kind']));
  objects.sort((a, b) => rank(a) - rank(b));
  return { objects, notes, allocations: ctx.allocations };
}

function expand(place: string, value: unknown): Item[] {
  if (!isRecord(value)) throw new InputError(`${place}: expected a Kubernetes object (a YAML mapping)`);
  const kind = str(value['kind']) ?? '';
  if (!kind.endsWith('List') || !Array.isArray(value['items'])) return [{ place, obj: value }];
  const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
  return (value['items'] as unknown[]).flatMap((item, i) => {
    const at = `${place} items[${i}]`;
    if (!isRecord(item)) throw new InputError(`${at}: expected a Kubernetes object (a YAML mapping)`);
    const filled = { apiVersion: value['apiVersion'], ...(itemKind === undefined ? {} : { kind: itemKind }), ...item };
    return expand(at, filled);
  });
}

function isPod(obj: Obj): boolean {
  return obj.kind === 'Pod' && obj.apiVersion === 'v1';
}

function podIndex(items: readonly Item[]): Map<string, PodInfo> {
  const pods = new Map<string, PodInfo>();
  for (const { obj } of items) {
    if (!isPod(obj)) continue;
    const meta = isRecord(obj.metadata) ? obj.metadata : {};
    const spec = isRecord(obj.spec) ? obj.spec : {};
    const status = isRecord(obj.status) ? obj.status : {};
    const uid = str(meta['uid']);
    const name = str(meta['name']);
    if (uid === undefined || name === undefined) continue;
    const annotations = isRecord(meta['annotations']) ? (meta['annotations'] as Record<string, string>) : {};
    pods.set(`${str(meta['namespace']) ?? 'default'}/${name}`, {
      uid,
      nodeName: str(spec['nodeName']),
      phase: str(status['phase']),
      annotations,
    });
  }
  return pods;
}

const DROPPED_KINDS: Record<string, string> = {
  Config:
    "multi-nic-cni's operator configuration; multinic's controller and agents are configured by the Helm chart's values",
  NetworkAttachmentDefinition: 'the multinic controller writes the NetworkAttachmentDefinition of each MultiNicNetwork',
};

function convertItem(item: Item, ctx: Ctx): Record<string, unknown> | undefined {
  const { obj, place } = item;
  const kind = str(obj.kind) ?? JSON.stringify(obj.kind);
  const name = isRecord(obj.metadata) ? str(obj.metadata['name']) : undefined;
  const at = `${place}: ${kind} ${name ?? '(no name)'}`;
  const ours = groupOf(obj.apiVersion) === API_GROUP;
  if (ours && kind === 'MultiNicNetwork') return convertNetwork(obj, { at, notes: ctx.notes });
  if (ours) {
    ctx.notes.push(`${at}: already ${API_GROUP}/${API_VERSION}, passed through unchanged`);
    return obj;
  }
  const dropped = DROPPED_KINDS[kind];
  if (dropped !== undefined) {
    ctx.notes.push(`${at}: not carried over: ${dropped}`);
    return undefined;
  }
  if (!isLegacy(obj)) {
    ctx.notes.push(
      `${at}: not carried over: apiVersion ${JSON.stringify(obj.apiVersion)} is not multi-nic-cni's (${LEGACY_API_GROUPS.join(', ')})`,
    );
    return undefined;
  }
  switch (kind) {
    case 'MultiNicNetwork':
      return convertNetwork(obj, { at, notes: ctx.notes });
    case 'CIDR':
      return convertCidr(obj, { at, notes: ctx.notes });
    case 'IPPool':
      return convertPool(obj, { at, ctx });
    case 'HostInterface':
      return convertHostInterface(obj, { at, notes: ctx.notes });
    case 'DeviceClass':
      return convertDeviceClass(obj, { at, notes: ctx.notes });
    default:
      ctx.notes.push(`${at}: not carried over: multinic has no counterpart of this multi-nic-cni kind`);
      return undefined;
  }
}

interface Where {
  readonly at: string;
  readonly notes: string[];
}

/** metadata without what the old cluster set (uid, resourceVersion, owners, finalizers, …), each dropped key noted. */
function cleanMetadata(raw: unknown, where: Where): Record<string, unknown> {
  const metadata: Record<string, unknown> = { ...(isRecord(raw) ? raw : {}) };
  for (const key of SERVER_METADATA) {
    if (key in metadata) {
      delete metadata[key];
      where.notes.push(`${where.at}: metadata.${key} not carried over: the API server sets it`);
    }
  }
  if ('ownerReferences' in metadata) {
    delete metadata['ownerReferences'];
    where.notes.push(
      `${where.at}: metadata.ownerReferences not carried over: they name multi-nic-cni objects; the multinic controller sets its own`,
    );
  }
  if ('finalizers' in metadata) {
    delete metadata['finalizers'];
    where.notes.push(`${where.at}: metadata.finalizers not carried over: multi-nic-cni's; multinic uses none`);
  }
  const annotations = isRecord(metadata['annotations']) ? { ...metadata['annotations'] } : undefined;
  if (annotations !== undefined && LAST_APPLIED in annotations) {
    delete annotations[LAST_APPLIED];
    where.notes.push(`${where.at}: annotation ${LAST_APPLIED} not carried over: it describes the old object`);
    if (Object.keys(annotations).length === 0) delete metadata['annotations'];
    else metadata['annotations'] = annotations;
  }
  return metadata;
}

/** Parses `candidate` as `schema` after removing (and noting) the fields multinic.dev/v1 does not have. */
function finish<S extends z.ZodType>(schema: S, candidate: Record<string, unknown>, where: Where): z.output<S> {
  const copy = structuredClone(candidate);
  for (const path of removeUnknownFields(schema, copy))
    where.notes.push(`${where.at}: ${path} not carried over: ${API_GROUP}/${API_VERSION} has no such field`);
  const parsed = parseWith(schema, copy);
  if (!parsed.ok)
    throw new InputError(
      `${where.at}: cannot be migrated, fix these first:\n${indent(parsed.problems.map(formatProblem))}`,
    );
  return parsed.value;
}

/** Deletes the fields the schema does not know (in place) and returns their paths, for the report. */
function removeUnknownFields(schema: z.ZodType, candidate: object): string[] {
  const removed: string[] = [];
  for (let round = 0; round < 8; round++) {
    const result = schema.safeParse(candidate);
    if (result.success) break;
    const unknown = result.error.issues.filter((i) => i.code === 'unrecognized_keys');
    if (unknown.length === 0) break;
    for (const issue of unknown) {
      const owner = issue.path.reduce<unknown>(
        (node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key],
        candidate,
      );
      for (const key of issue.keys) {
        delete (owner as Record<string, unknown>)[key];
        removed.push(formatPath([...issue.path, key]));
      }
    }
  }
  return removed;
}

function noteStatus(obj: Obj, where: Where, why: string): void {
  if (obj.status !== undefined && !(isRecord(obj.status) && Object.keys(obj.status).length === 0))
    where.notes.push(`${where.at}: status not carried over: ${why}`);
}

function header(kind: string, metadata: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: `${API_GROUP}/${API_VERSION}`, kind, metadata };
}

/** goSpelling with each note prefixed by the object's place. */
function spelled(value: unknown, fields: Fields, options: { path: string; where: Where }): unknown {
  const notes: string[] = [];
  const out = goSpelling(value, fields, { path: options.path, notes });
  for (const note of notes) options.where.notes.push(`${options.where.at}: ${note}`);
  return out;
}

/** Reports (and leaves out) spec keys the Go type does not have either. */
function knownSpec(spec: unknown, fields: Fields, where: Where): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(isRecord(spec) ? spec : {})) {
    if (key in fields) out[key] = value;
    else where.notes.push(`${where.at}: spec.${key} not carried over: neither multi-nic-cni nor multinic has it`);
  }
  return out;
}

// ------------------------------------------------------------------ MultiNicNetwork

function convertNetwork(obj: Obj, where: Where): Record<string, unknown> {
  const metadata = cleanMetadata(obj.metadata, where);
  noteStatus(obj, where, 'the controller recomputes it');
  const spec = spelled(obj.spec, NETWORK_SPEC, { path: 'spec', where });
  const withIpam = isRecord(spec) ? { ...spec, ipam: ipamObject(spec['ipam'], where) } : spec;
  return finish(MultiNicNetworkSchema, { ...header('MultiNicNetwork', metadata), spec: withIpam }, where) as Record<
    string,
    unknown
  >;
}

/** multi-nic-cni keeps `ipam` as JSON text; v1 keeps an object, so its keys can be respelled and checked too. */
function ipamObject(ipam: unknown, where: Where): unknown {
  let value = ipam;
  if (typeof ipam === 'string') {
    try {
      value = JSON.parse(ipam) as unknown;
    } catch (cause) {
      throw new InputError(
        `${where.at}: spec.ipam is a string but not valid JSON (${(cause as Error).message}); fix the JSON or write ipam as a YAML object`,
        { cause },
      );
    }
  }
  return spelled(value, IPAM, { path: 'spec.ipam', where });
}

// ------------------------------------------------------------------ CIDR

function convertCidr(obj: Obj, where: Where): Record<string, unknown> {
  const metadata = cleanMetadata(obj.metadata, where);
  const network = str(metadata['name']) ?? '';
  noteStatus(obj, where, 'multinic keeps none');
  const spec = knownSpec(spelled(obj.spec, CIDR_SPEC, { path: 'spec', where }), CIDR_SPEC, where);
  const config = isRecord(spec['config']) ? spec['config'] : {};
  for (const key of ['name', 'type', 'vlanMode'] as const) {
    if (config[key] !== undefined && config[key] !== '')
      where.notes.push(
        `${where.at}: spec.config.${key} not carried over: ${key === 'vlanMode' ? "the network's spec.ipam.vlanMode says it" : 'multinic names the network by the CIDR and the IPAM by the network'}`,
      );
  }
  const entries = Array.isArray(spec['cidr']) ? (spec['cidr'] as unknown[]) : [];
  const candidate = {
    ...header('CIDR', { ...metadata, labels: { ...asLabels(metadata['labels']), [NETWORK_LABEL]: network } }),
    spec: {
      config: {
        subnet: config['subnet'] ?? '',
        interfaceBlock: config['interfaceBlock'] ?? 0,
        hostBlock: config['hostBlock'] ?? 0,
        masterNets: config['masterNets'] ?? [],
        excludeCIDRs: config['excludeCIDRs'] ?? [],
      },
      cidr: entries.map((e, i) => cidrEntry(e, { network, path: `spec.cidr[${i}]`, where })),
    },
  };
  return finish(CidrSchema, candidate, where) as Record<string, unknown>;
}

function cidrEntry(raw: unknown, options: { network: string; path: string; where: Where }): unknown {
  if (!isRecord(raw)) return raw;
  const hosts = Array.isArray(raw['hosts']) ? (raw['hosts'] as unknown[]) : [];
  return {
    ...raw,
    hosts: hosts.map((h, i) => {
      if (!isRecord(h) || typeof h['podCIDR'] !== 'string') return h;
      const name = poolName(options.network, h['podCIDR']);
      if (h['ippool'] !== name)
        options.where.notes.push(
          `${options.where.at}: ${options.path}.hosts[${i}].ippool ${JSON.stringify(h['ippool'])} renamed ${name} (multinic's IPPool name for ${h['podCIDR']})`,
        );
      return { ...h, ippool: name };
    }),
  };
}

function asLabels(v: unknown): Record<string, string> {
  return isRecord(v) ? (v as Record<string, string>) : {};
}

// ------------------------------------------------------------------ IPPool

function convertPool(obj: Obj, options: { at: string; ctx: Ctx }): Record<string, unknown> {
  const where: Where = { at: options.at, notes: options.ctx.notes };
  const metadata = cleanMetadata(obj.metadata, where);
  const spec = knownSpec(spelled(obj.spec, IPPOOL_SPEC, { path: 'spec', where }), IPPOOL_SPEC, where);
  const network = str(spec['netAttachDef']);
  const podCIDR = str(spec['podCIDR']);
  const hostName = str(spec['hostName']);
  const interfaceName = str(spec['interfaceName']);
  if (network === undefined || podCIDR === undefined || hostName === undefined || interfaceName === undefined)
    throw new InputError(
      `${where.at}: spec.netAttachDef, spec.podCIDR, spec.hostName and spec.interfaceName are required to convert an IPPool`,
    );
  const name = poolName(network, podCIDR);
  if (metadata['name'] !== name)
    where.notes.push(`${where.at}: renamed ${name} (multinic names the IPPool of ${podCIDR} so)`);
  const allocations = convertAllocations(spec['allocations'], {
    pool: { name, podCIDR, hostName, network },
    ...options,
  });
  const candidate = {
    ...header('IPPool', {
      ...metadata,
      name,
      labels: {
        ...asLabels(metadata['labels']),
        [NETWORK_LABEL]: network,
        [HOST_LABEL]: hostName,
        [INTERFACE_LABEL]: interfaceName,
      },
    }),
    spec: {
      network,
      hostName,
      interfaceName,
      podCIDR,
      vlanCIDR: spec['vlanCIDR'],
      excludes: spec['excludes'] ?? [],
    },
    ...(allocations.length === 0 ? {} : { status: { allocations } }),
  };
  const pool = finish(IPPoolSchema, candidate, where) as Record<string, unknown>;
  options.ctx.allocations += allocations.length;
  where.notes.push(`${where.at}: converted, ${allocations.length} allocations carried over into status.allocations`);
  return pool;
}

interface PoolRef {
  readonly name: string;
  readonly podCIDR: string;
  readonly hostName: string;
  readonly network: string;
}

/** multi-nic-cni's {pod, namespace, index, address} → multinic's status allocation, for pods that still hold them. */
function convertAllocations(raw: unknown, options: { pool: PoolRef; at: string; ctx: Ctx }): Record<string, string>[] {
  const list = Array.isArray(raw) ? raw : [];
  const { pool, ctx, at } = options;
  if (list.length > 0 && ctx.pods.size === 0) {
    throw new InputError(
      `${at}: holds ${list.length} allocations, and no pods were given to carry them over: add the pods as another -f (kubectl get pods -A -o yaml > pods.yaml), so every address a running pod holds stays held`,
    );
  }
  const block = parsePrefix(pool.podCIDR);
  const seen = new Set<string>();
  const out: Record<string, string>[] = [];
  list.forEach((item, i) => {
    const drop = (why: string): void => {
      ctx.notes.push(`${at}: spec.allocations[${i}] not carried over: ${why}`);
    };
    const a = isRecord(item) ? item : {};
    const podName = str(a['pod']);
    const namespace = str(a['namespace']);
    const ip = parseAddress(str(a['address']) ?? '');
    if (podName === undefined || namespace === undefined) return drop('it names no pod and namespace');
    const who = `pod ${namespace}/${podName}`;
    if (!ip.ok || !block.ok || !prefixContainsAddress(block.value, ip.value))
      return drop(`${JSON.stringify(a['address'])} (${who}) is not an address of the pool's ${pool.podCIDR}`);
    const address = formatAddress(ip.value);
    if (seen.has(address)) return drop(`${address} (${who}) is listed twice; the first holder keeps it`);
    const pod = ctx.pods.get(`${namespace}/${podName}`);
    if (pod === undefined) return drop(`${who} is not among the pods given: it is gone, so ${address} is free again`);
    if (pod.nodeName !== pool.hostName)
      return drop(`${who} now runs on ${pod.nodeName ?? 'no node'}, not ${pool.hostName}: ${address} is free again`);
    if (ENDED.has(pod.phase ?? ''))
      return drop(`${who} has ended (${pod.phase ?? ''}): it has no sandbox, so ${address} is free again`);
    seen.add(address);
    out.push({
      address,
      containerID: `${CONVERTED_CONTAINER_PREFIX}${pod.uid}`,
      interface: podIfname({ pod, podName, namespace, network: pool.network, address, at, notes: ctx.notes }),
      podName,
      podNamespace: namespace,
      podUID: pod.uid,
    });
  });
  return out;
}

/**
 * The CNI_IFNAME Multus gave the pod's attachment of `network`: the selection's `interface`, else `net<position>`
 * (Multus' default); else the link its network-status shows with the address. The pod's CNI DEL names it.
 */
function podIfname(o: {
  pod: PodInfo;
  podName: string;
  namespace: string;
  network: string;
  address: string;
  at: string;
  notes: string[];
}): string {
  const networks = o.pod.annotations[NETWORKS_ANNOTATION];
  const selections = networks === undefined ? undefined : parseNetworksAnnotation(networks, o.namespace);
  if (selections?.ok === true) {
    const i = selections.value.findIndex((s) => s.name === o.network);
    const chosen = selections.value[i];
    if (chosen !== undefined) return chosen.interface ?? `net${i + 1}`;
  }
  const link = statusLink(o.pod.annotations[NETWORK_STATUS_ANNOTATION], o.network, o.address);
  if (link !== undefined) return link;
  o.notes.push(
    `${o.at}: pod ${o.namespace}/${o.podName} names network ${o.network} in neither its networks nor its network-status annotation; its allocation of ${o.address} records interface net1 (pod GC frees it once the pod is gone)`,
  );
  return 'net1';
}

function statusLink(text: string | undefined, network: string, address: string): string | undefined {
  let list: unknown;
  try {
    list = text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(list)) return undefined;
  for (const entry of list as unknown[]) {
    if (!isRecord(entry)) continue;
    const name = str(entry['name']) ?? '';
    const ips = Array.isArray(entry['ips']) ? entry['ips'] : [];
    const link = str(entry['interface']);
    if (
      name.slice(name.indexOf('/') + 1) === network &&
      ips.includes(address) &&
      link !== undefined &&
      IFNAME.test(link)
    )
      return link;
  }
  return undefined;
}

// ------------------------------------------------------------------ HostInterface and DeviceClass → NicClass

/** multi-nic-cni reads sysfs' `0x15b3`; multinic spells a PCI id `15b3`. */
function pciId(value: unknown, options: { path: string; where: Where }): unknown {
  if (typeof value !== 'string') return value;
  const id = value.toLowerCase().replace(/^0x/, '');
  if (id !== value) options.where.notes.push(`${options.where.at}: ${options.path} ${value} written ${id}`);
  return id;
}

function convertHostInterface(obj: Obj, where: Where): Record<string, unknown> {
  const metadata = cleanMetadata(obj.metadata, where);
  noteStatus(obj, where, "multi-nic-cni's link statistics; the multinic agent reports its own status");
  const spec = knownSpec(spelled(obj.spec, HOST_INTERFACE_SPEC, { path: 'spec', where }), HOST_INTERFACE_SPEC, where);
  const nics = Array.isArray(spec['interfaces']) ? (spec['interfaces'] as unknown[]) : [];
  const interfaces = nics.map((raw, i) => {
    if (!isRecord(raw)) return raw;
    const nic: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(raw)) {
      // Go omits these when empty; multinic leaves them out rather than accept an empty id.
      if (value === '' && (key === 'vendor' || key === 'product' || key === 'pciAddress')) continue;
      const path = `spec.interfaces[${i}].${key}`;
      nic[key] = key === 'vendor' || key === 'product' ? pciId(value, { path, where }) : value;
    }
    return nic;
  });
  return finish(
    HostInterfaceSchema,
    { ...header('HostInterface', metadata), spec: { hostName: spec['hostName'], interfaces } },
    where,
  ) as Record<string, unknown>;
}

function convertDeviceClass(obj: Obj, where: Where): Record<string, unknown> {
  const metadata = cleanMetadata(obj.metadata, where);
  noteStatus(obj, where, 'a NicClass has none');
  const spec = knownSpec(spelled(obj.spec, DEVICE_CLASS_SPEC, { path: 'spec', where }), DEVICE_CLASS_SPEC, where);
  const ids = Array.isArray(spec['ids']) ? (spec['ids'] as unknown[]) : [];
  if (ids.length !== 1) {
    throw new InputError(
      `${where.at}: lists ${ids.length} vendors in spec.ids; a NicClass has exactly one vendor: split the DeviceClass into one per vendor (and name the class each pod asks for), then migrate again`,
    );
  }
  const id = isRecord(ids[0]) ? ids[0] : {};
  const products = Array.isArray(id['products']) ? (id['products'] as unknown[]) : [];
  where.notes.push(`${where.at}: converted to NicClass ${String(metadata['name'])}`);
  return finish(
    NicClassSchema,
    {
      ...header('NicClass', metadata),
      spec: {
        vendor: pciId(id['vendor'], { path: 'spec.ids[0].vendor', where }),
        products: products.map((p, i) => pciId(p, { path: `spec.ids[0].products[${i}]`, where })),
      },
    },
    where,
  ) as Record<string, unknown>;
}
