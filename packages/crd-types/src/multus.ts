// Multus / Network Plumbing WG objects and pod annotations, exactly as the spec defines them.
import { z } from 'zod';
import { dnsLabelField, ifNameField, ipField, macField } from './fields.js';
import { ObjectMetaSchema } from './meta.js';
import type { FieldProblem, ParseResult } from './problems.js';
import { problemsFromIssues } from './problems.js';
import { tryAddress, tryInterfaceAddress } from './prefix-math.js';
import { NAD_API_VERSION } from './names.js';

// ---------------------------------------------------------------- NetworkAttachmentDefinition

function checkConfigJson(text: string, ctx: z.core.$RefinementCtx): void {
  if (text === '') return; // "use the on-disk config of that name" (we never write this, but it is valid)
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: `must be CNI configuration JSON (${error instanceof Error ? error.message : String(error)})`,
    });
    return;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be a JSON object: a CNI network configuration or configuration list',
    });
    return;
  }
  const conf = parsed as Record<string, unknown>;
  if (typeof conf['cniVersion'] !== 'string')
    ctx.addIssue({ code: 'custom', message: 'the CNI configuration needs a "cniVersion" string' });
  if (typeof conf['type'] !== 'string' && !Array.isArray(conf['plugins'])) {
    ctx.addIssue({ code: 'custom', message: 'the CNI configuration needs a "type" (one plugin) or a "plugins" list' });
  }
}

export const NetworkAttachmentDefinitionSchema = z.strictObject({
  apiVersion: z.literal(NAD_API_VERSION, { error: `must be "${NAD_API_VERSION}"` }),
  kind: z.literal('NetworkAttachmentDefinition', { error: 'must be "NetworkAttachmentDefinition"' }),
  metadata: ObjectMetaSchema.extend({ name: dnsLabelField('a NetworkAttachmentDefinition name') }),
  spec: z
    .strictObject({
      config: z.string().max(1_000_000).superRefine(checkConfigJson).optional(),
    })
    .optional(),
});
export type NetworkAttachmentDefinition = z.output<typeof NetworkAttachmentDefinitionSchema>;

// ---------------------------------------------------------------- k8s.v1.cni.cncf.io/networks

export const PortMappingSchema = z.strictObject({
  hostPort: z.number().int().min(0).max(65535),
  containerPort: z.number().int().min(0).max(65535),
  protocol: z.string().max(16).optional(),
  hostIP: ipField().optional(),
});

export const BandwidthSchema = z.strictObject({
  ingressRate: z.number().int().min(0),
  ingressBurst: z.number().int().min(0),
  egressRate: z.number().int().min(0),
  egressBurst: z.number().int().min(0),
});

/** A requested address: a plain IP or an IP with prefix length (static IPAM style). */
const requestedIpField = z.string().superRefine((v, ctx) => {
  if (tryAddress(v) === undefined && tryInterfaceAddress(v) === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `must be an IPv4 or IPv6 address (optionally with prefix length), not ${JSON.stringify(v)}`,
    });
  }
});

/** One element of the JSON form of the networks annotation. Keys with a '.' are implementation-specific and kept. */
export const NetworkSelectionElementSchema = z
  .looseObject({
    name: dnsLabelField('a NetworkAttachmentDefinition name'),
    namespace: z
      .string()
      .max(63)
      .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/, {
        error: 'must be a namespace name (a DNS-1123 label), or "" for the pod\'s namespace',
      })
      .optional(),
    interface: ifNameField().optional(),
    ips: z.array(requestedIpField).min(1, { error: 'must list at least one address when present' }).optional(),
    mac: macField().optional(),
    'infiniband-guid': z.string().max(64).optional(),
    'default-route': z.array(ipField()).optional(),
    'cni-args': z.record(z.string(), z.unknown()).nullable().optional(),
    portMappings: z.array(PortMappingSchema).optional(),
    bandwidth: BandwidthSchema.optional(),
    'ipam-claim-reference': z.string().max(253).optional(),
    /** Multus: the device for this attachment (a device plugin's allocation for the NAD's resourceName wins). */
    deviceID: z.string().min(1).max(1024).optional(),
  })
  .superRefine((element, ctx) => {
    for (const key of Object.keys(element)) {
      if (!(key in KNOWN_SELECTION_KEYS) && !key.includes('.')) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message:
            'unknown key: keys without a "." are reserved by the Network Plumbing WG spec; check the spelling or use a reverse-domain name',
        });
      }
    }
  });
const KNOWN_SELECTION_KEYS: Record<string, true> = {
  name: true,
  namespace: true,
  interface: true,
  ips: true,
  mac: true,
  'infiniband-guid': true,
  'default-route': true,
  'cni-args': true,
  portMappings: true,
  bandwidth: true,
  'ipam-claim-reference': true,
  deviceID: true,
};
export type NetworkSelectionElement = z.output<typeof NetworkSelectionElementSchema>;

/** One requested attachment, with the namespace resolved. */
export interface NetworkSelection {
  readonly name: string;
  readonly namespace: string;
  readonly interface?: string;
  readonly ips?: readonly string[];
  readonly mac?: string;
  readonly defaultRoute?: readonly string[];
  readonly cniArgs?: Readonly<Record<string, unknown>>;
  /** The element as written (JSON form), for keys this type does not lift out. */
  readonly raw?: NetworkSelectionElement;
}

const SHORT_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function parseShortItem(item: string, index: number, podNamespace: string): NetworkSelection | FieldProblem {
  const path = `[${index}]`;
  const slash = item.split('/');
  if (slash.length > 2) return { path, message: `"${item}" has more than one '/': write [namespace/]name[@interface]` };
  const namespace = slash.length === 2 ? (slash[0] ?? '').trim() : '';
  const at = (slash[slash.length - 1] ?? '').split('@');
  if (at.length > 2) return { path, message: `"${item}" has more than one '@': write [namespace/]name[@interface]` };
  const name = (at[0] ?? '').trim();
  const ifname = at.length === 2 ? (at[1] ?? '').trim() : '';
  if (name === '') return { path, message: `"${item}" has no network name: write [namespace/]name[@interface]` };
  for (const [what, value] of [
    ['namespace', namespace],
    ['network name', name],
    ['interface name', ifname],
  ] as const) {
    if (value !== '' && !SHORT_LABEL.test(value)) {
      return {
        path,
        message: `${what} "${value}" in "${item}" must be a DNS-1123 label (lower-case letters, digits, '-'); use the JSON form for other interface names`,
      };
    }
  }
  return {
    name,
    namespace: namespace === '' ? podNamespace : namespace,
    ...(ifname === '' ? {} : { interface: ifname }),
  };
}

function parseShortForm(text: string, podNamespace: string): ParseResult<NetworkSelection[]> {
  const selections: NetworkSelection[] = [];
  const problems: FieldProblem[] = [];
  const items = text.split(',').map((s) => s.trim());
  items.forEach((item, i) => {
    if (item === '' && items.length === 1) return;
    if (item === '') {
      problems.push({ path: `[${i}]`, message: 'empty entry: remove the extra comma' });
      return;
    }
    const parsed = parseShortItem(item, i, podNamespace);
    if ('message' in parsed) problems.push(parsed);
    else selections.push(parsed);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: selections };
}

function fromElement(element: NetworkSelectionElement, podNamespace: string): NetworkSelection {
  const ns = element.namespace;
  return {
    name: element.name,
    namespace: ns === undefined || ns === '' ? podNamespace : ns,
    ...(element.interface === undefined ? {} : { interface: element.interface }),
    ...(element.ips === undefined ? {} : { ips: element.ips }),
    ...(element.mac === undefined ? {} : { mac: element.mac }),
    ...(element['default-route'] === undefined ? {} : { defaultRoute: element['default-route'] }),
    ...(element['cni-args'] === undefined || element['cni-args'] === null ? {} : { cniArgs: element['cni-args'] }),
    raw: element,
  };
}

function parseJsonForm(text: string, podNamespace: string): ParseResult<NetworkSelection[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      problems: [
        {
          path: '',
          message: `looks like JSON (it contains '[', '{' or '"') but does not parse: ${error instanceof Error ? error.message : String(error)}`,
        },
      ],
    };
  }
  if (!Array.isArray(parsed)) {
    return { ok: false, problems: [{ path: '', message: 'the JSON form must be a list of objects: wrap it in [ ]' }] };
  }
  const result = z.array(NetworkSelectionElementSchema).safeParse(parsed, { reportInput: true });
  if (!result.success) return { ok: false, problems: problemsFromIssues(result.error.issues) };
  return { ok: true, value: result.data.map((e) => fromElement(e, podNamespace)) };
}

/**
 * Parses the pod annotation `k8s.v1.cni.cncf.io/networks`: the short form `[ns/]name[@ifname]`, comma-separated,
 * or the JSON list form (detected, as Multus does, by a '[', '{' or '"' anywhere in the text).
 * Problem paths are `[i]` (the i-th attachment) followed by the field.
 */
export function parseNetworksAnnotation(text: string, podNamespace: string): ParseResult<NetworkSelection[]> {
  if (/[[{"]/.test(text)) return parseJsonForm(text, podNamespace);
  return parseShortForm(text, podNamespace);
}

/** Writes selections back in the shortest form that carries them (short form when possible). */
export function formatNetworksAnnotation(selections: readonly NetworkSelection[], podNamespace: string): string {
  const short = selections.every(
    (s) =>
      s.ips === undefined &&
      s.mac === undefined &&
      s.defaultRoute === undefined &&
      s.cniArgs === undefined &&
      s.raw === undefined &&
      (s.interface === undefined || SHORT_LABEL.test(s.interface)),
  );
  if (short) {
    return selections
      .map(
        (s) =>
          `${s.namespace === podNamespace ? '' : `${s.namespace}/`}${s.name}${s.interface === undefined ? '' : `@${s.interface}`}`,
      )
      .join(',');
  }
  return JSON.stringify(
    selections.map((s) => ({
      ...(s.raw ?? {}),
      name: s.name,
      namespace: s.namespace,
      ...(s.interface === undefined ? {} : { interface: s.interface }),
      ...(s.ips === undefined ? {} : { ips: s.ips }),
      ...(s.mac === undefined ? {} : { mac: s.mac }),
      ...(s.defaultRoute === undefined ? {} : { 'default-route': s.defaultRoute }),
      ...(s.cniArgs === undefined ? {} : { 'cni-args': s.cniArgs }),
    })),
  );
}

// ---------------------------------------------------------------- k8s.v1.cni.cncf.io/network-status

const statusIpField = z.string().superRefine((v, ctx) => {
  if (v.includes('/'))
    ctx.addIssue({
      code: 'custom',
      message: `must be an address without prefix length (${v.split('/')[0] ?? ''}), as Multus writes it`,
    });
  else if (tryAddress(v) === undefined)
    ctx.addIssue({ code: 'custom', message: `must be an IPv4 or IPv6 address, not ${JSON.stringify(v)}` });
});

export const DeviceInfoSchema = z.looseObject({
  type: z.string().max(64).optional(),
  version: z.string().max(32).optional(),
  pci: z
    .looseObject({
      'pci-address': z.string().optional(),
      'pf-pci-address': z.string().optional(),
      'rdma-device': z.string().optional(),
      'vhost-net': z.string().optional(),
    })
    .optional(),
});

export const NetworkStatusEntrySchema = z.looseObject({
  name: z.string().min(1, { error: 'must name the network ([namespace/]name)' }).max(317),
  interface: z.string().max(15).optional(),
  ips: z.array(statusIpField).optional(),
  mac: macField().optional(),
  mtu: z.number().int().min(0).optional(),
  default: z.boolean().optional(),
  dns: z
    .looseObject({
      nameservers: z.array(z.string()).optional(),
      domain: z.string().optional(),
      search: z.array(z.string()).optional(),
      options: z.array(z.string()).optional(),
    })
    .optional(),
  gateway: z.array(ipField()).optional(),
  'device-info': DeviceInfoSchema.optional(),
});
export type NetworkStatusEntry = z.output<typeof NetworkStatusEntrySchema>;

/** The value of `k8s.v1.cni.cncf.io/network-status` (after JSON.parse). */
export const NetworkStatusSchema = z.array(NetworkStatusEntrySchema).superRefine((entries, ctx) => {
  const defaults = entries.flatMap((e, i) => (e.default === true ? [i] : []));
  if (defaults.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must contain one entry with "default": true (the cluster network)' });
  }
  if (defaults.length > 1) {
    for (const i of defaults.slice(1)) {
      ctx.addIssue({
        code: 'custom',
        path: [i, 'default'],
        message: `only one entry may be the cluster default network (entry ${defaults[0]} already is)`,
      });
    }
  }
  entries.forEach((e, i) => {
    if (e.mac !== undefined && e.interface === undefined)
      ctx.addIssue({ code: 'custom', path: [i, 'interface'], message: 'is required when mac is set' });
  });
});
export type NetworkStatus = z.output<typeof NetworkStatusSchema>;

/** Parses the annotation text `k8s.v1.cni.cncf.io/network-status`. */
export function parseNetworkStatusAnnotation(text: string): ParseResult<NetworkStatus> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      problems: [
        { path: '', message: `must be a JSON list (${error instanceof Error ? error.message : String(error)})` },
      ],
    };
  }
  const result = NetworkStatusSchema.safeParse(parsed, { reportInput: true });
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, problems: problemsFromIssues(result.error.issues) };
}
