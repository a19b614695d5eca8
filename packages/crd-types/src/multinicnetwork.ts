// MultiNicNetwork: what the user writes. A superset of multi-nic-cni's spec (only `apiVersion` changes).
import { z } from 'zod';
import {
  cidrField,
  dnsLabelField,
  dnsSubdomainField,
  freeFormObject,
  intField,
  ipField,
  listField,
  optionalCidrField,
  withCel,
} from './fields.js';
import { conditionsField, envelope } from './meta.js';
import { familyBits, prefixContains } from '@multinic/cidr-core';
import { tryPrefix } from './prefix-math.js';
import { RESERVED_SUBNET_RULES, reservedSubnetProblem } from './reserved.js';
import { CNI_SPEC_VERSIONS, MULTI_NIC_IPAM } from './names.js';

export const VLAN_MODES = ['l2', 'l3', 'l3s'] as const;
export type VlanMode = (typeof VLAN_MODES)[number];
export const MAX_BLOCK_BITS = 32;

export const IpamRouteSchema = z.strictObject({
  dst: cidrField(),
  gw: ipField().optional(),
});
export type IpamRoute = z.output<typeof IpamRouteSchema>;

const blockField = (what: string) => intField({ min: 0, max: MAX_BLOCK_BITS }).meta({ description: what });

/** The IPAM object. Keys other IPAM plugins use (whereabouts' `range`, …) are kept. */
export const IpamSchema = z.looseObject({
  type: z
    .string({
      error: (i) =>
        i.input === undefined ? 'is required (the IPAM plugin, e.g. "multi-nic-ipam")' : 'must be a string',
    })
    .min(1, { error: 'must name the IPAM plugin, e.g. "multi-nic-ipam"' })
    .max(63),
  hostBlock: blockField(
    'Bits of the host index inside an interface block. In host-subnet mode (subnet "") it splits each NIC network into 2^hostBlock host slices; left out, each NIC network gets half its address bits, rounded down, at most 16 (a /24: 16 slices of /28; a /30 or smaller is too small).',
  ).optional(),
  interfaceBlock: blockField('Bits of the interface (NIC network) index inside the subnet.').optional(),
  excludeCIDRs: listField(cidrField(), { max: 256, what: 'excluded prefixes' }).optional(),
  vlanMode: z.enum(VLAN_MODES, { error: 'must be one of "l2", "l3", "l3s"' }).optional(),
  routes: listField(IpamRouteSchema, { max: 64, what: 'routes' }).optional(),
});
export type Ipam = z.output<typeof IpamSchema>;

function decodeIpamText(value: unknown, ctx: z.core.$RefinementCtx): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: 'is a string but not valid JSON: write the IPAM settings as an object, or as valid JSON text',
    });
    return z.NEVER;
  }
}

const IPAM_DESCRIPTION =
  'IPAM settings: an object {type, hostBlock, interfaceBlock, excludeCIDRs, vlanMode, routes, …}, or for multi-nic-cni compatibility the same as JSON text. Checked by the controller and `multinic validate`, not by the API server. In host-subnet mode (subnet "") hostBlock may be left out: each NIC network is then split into host slices by half its address bits, rounded down, at most 16 (a /24 gives each host a /28).';

/** `spec.ipam`: the object, or (multi-nic-cni compatibility) its JSON text; parsing always yields the object. */
export const IpamFieldSchema = z.preprocess(decodeIpamText, IpamSchema).meta({
  description: IPAM_DESCRIPTION,
  'x-multinic-crd': 'string-or-object',
});

export const ATTACH_STRATEGIES = [
  'none',
  'costOpt',
  'perfOpt',
  'topology',
  'nicClass',
  'selector',
  'firstAvailable',
] as const;
export type AttachStrategy = (typeof ATTACH_STRATEGIES)[number];
/** multi-nic-cni's name for `nicClass`; accepted on input and normalised. */
export const LEGACY_STRATEGY_ALIASES = { devClass: 'nicClass' } as const;
const STRATEGY_INPUTS = [...ATTACH_STRATEGIES, ...Object.keys(LEGACY_STRATEGY_ALIASES)] as [string, ...string[]];

const strategyField = z
  .enum(STRATEGY_INPUTS as unknown as readonly [AttachStrategy | 'devClass', ...(AttachStrategy | 'devClass')[]], {
    error: `must be one of ${STRATEGY_INPUTS.map((s) => `"${s}"`).join(', ')}`,
  })
  .transform((s): AttachStrategy => (s === 'devClass' ? 'nicClass' : s));

const BANDWIDTH = /^[0-9]+(\.[0-9]+)?[KMGT]bps$/;

const attachPolicyFields = {
  strategy: strategyField,
  target: z
    .string()
    .max(32)
    .regex(BANDWIDTH, { error: 'must be a bandwidth such as 100Gbps, 400Mbps (K, M, G or T)' })
    .optional(),
  class: dnsSubdomainField('the name of a NicClass').optional(),
  selector: z.string().min(1).max(1024, { error: 'must be at most 1024 characters' }).optional(),
  nics: intField({ min: 1, max: 64, what: 'how many NICs a pod gets' }).optional(),
};

const POLICY_RULES = [
  {
    rule: "!(self.strategy in ['costOpt', 'perfOpt']) || has(self.target)",
    message: 'target is required for the costOpt and perfOpt strategies (a bandwidth such as 100Gbps)',
  },
  {
    rule: "self.strategy != 'selector' || has(self.selector)",
    message: 'selector is required for the selector strategy',
  },
];

type PolicyShape = {
  strategy: AttachStrategy;
  target?: string | undefined;
  selector?: string | undefined;
  alternatives?: unknown[] | undefined;
};

function checkPolicy(policy: PolicyShape, ctx: z.core.$RefinementCtx): void {
  if ((policy.strategy === 'costOpt' || policy.strategy === 'perfOpt') && policy.target === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['target'],
      message: `is required for the ${policy.strategy} strategy (a bandwidth such as 100Gbps)`,
    });
  }
  if (policy.strategy === 'selector' && policy.selector === undefined) {
    ctx.addIssue({ code: 'custom', path: ['selector'], message: 'is required for the selector strategy' });
  }
}

/** One alternative of a `firstAvailable` policy (alternatives do not nest). */
export const AttachPolicyAlternativeSchema = withCel(
  z
    .strictObject(attachPolicyFields)
    .superRefine(checkPolicy)
    .superRefine((p, ctx) => {
      if (p.strategy === 'firstAvailable')
        ctx.addIssue({
          code: 'custom',
          path: ['strategy'],
          message: 'alternatives cannot themselves be firstAvailable',
        });
    }),
  [
    ...POLICY_RULES,
    { rule: "self.strategy != 'firstAvailable'", message: 'alternatives cannot themselves be firstAvailable' },
  ],
);

/** Which host NICs a pod gets. */
export const AttachPolicySchema = withCel(
  z
    .strictObject({
      ...attachPolicyFields,
      alternatives: listField(AttachPolicyAlternativeSchema, { max: 8, what: 'alternatives', min: 1 }).optional(),
    })
    .superRefine((policy, ctx) => {
      checkPolicy(policy, ctx);
      if (policy.strategy === 'firstAvailable' && policy.alternatives === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['alternatives'],
          message: 'is required for the firstAvailable strategy (the policies to try, in order)',
        });
      }
      if (policy.strategy !== 'firstAvailable' && policy.alternatives !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['alternatives'],
          message: 'is only allowed with the firstAvailable strategy',
        });
      }
    }),
  [
    ...POLICY_RULES,
    {
      rule: "self.strategy != 'firstAvailable' || has(self.alternatives)",
      message: 'alternatives is required for the firstAvailable strategy',
    },
    {
      rule: "self.strategy == 'firstAvailable' || !has(self.alternatives)",
      message: 'alternatives is only allowed with the firstAvailable strategy',
    },
  ],
);
export type AttachPolicyAlternative = z.output<typeof AttachPolicyAlternativeSchema>;
export type AttachPolicy = z.output<typeof AttachPolicySchema>;

export const DnsSchema = z.strictObject({
  nameservers: listField(ipField(), { max: 8, what: 'nameservers' }).optional(),
  domain: z.string().max(253).optional(),
  search: listField(z.string().max(253), { max: 32, what: 'search domains' }).optional(),
  options: listField(z.string().max(256), { max: 32, what: 'options' }).optional(),
});
export type Dns = z.output<typeof DnsSchema>;

/** The main (delegate) plugin every selected NIC is attached with. */
export const PluginSchema = z.strictObject({
  cniVersion: z.enum(CNI_SPEC_VERSIONS, {
    error: `must be one of ${CNI_SPEC_VERSIONS.map((v) => `"${v}"`).join(', ')}`,
  }),
  type: z
    .string()
    .min(1, { error: 'must name the CNI plugin, e.g. "ipvlan"' })
    .max(63)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
      error: 'must be a CNI plugin executable name such as ipvlan, macvlan, host-device or sriov',
    }),
  args: freeFormObject(
    'Plugin-specific settings copied into every delegate config (e.g. {mode: l3} for ipvlan).',
  ).optional(),
  capabilities: z.record(z.string(), z.boolean()).optional(),
  dns: DnsSchema.optional(),
});
export type Plugin = z.output<typeof PluginSchema>;

const IMMUTABLE = 'create a new MultiNicNetwork instead';

const SUBNET_DESCRIPTION =
  "A pod subnet (IPv4 or IPv6) with its own block sizes; a block left out takes the one in ipam. subnets[0] is the network's first family: its address is the one single-address fields carry.";

/** One entry of `spec.subnets`: a pod subnet of one family with the block sizes it needs (ADR 0006). */
export const SubnetEntrySchema = z
  .strictObject({
    cidr: withCel(
      cidrField().superRefine((v, ctx) => {
        const problem = reservedSubnetProblem(v);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      }),
      RESERVED_SUBNET_RULES,
    ),
    interfaceBlock: blockField(
      'Bits of the interface (NIC network) index inside this subnet; left out: ipam.interfaceBlock.',
    ).optional(),
    hostBlock: blockField(
      'Bits of the host index inside an interface block of this subnet; left out: ipam.hostBlock.',
    ).optional(),
  })
  .meta({ description: SUBNET_DESCRIPTION });
export type SubnetEntry = z.output<typeof SubnetEntrySchema>;

const FAMILY_OF = (i: number) => `(isCIDR(self[${i}].cidr) ? cidr(self[${i}].cidr).ip().family() : ${i})`;

const subnetsField = withCel(
  listField(SubnetEntrySchema, { max: 2, min: 1, what: 'pod subnets (one IPv4 and one IPv6 at most)' }).superRefine(
    (list, ctx) => {
      const families = list.map((entry) => tryPrefix(entry.cidr)?.family);
      if (list.length === 2 && families[0] !== undefined && families[0] === families[1])
        ctx.addIssue({
          code: 'custom',
          path: [1, 'cidr'],
          message: `is a second IPv${families[0]} subnet: subnets takes one IPv4 and one IPv6 subnet; remove one, or use a larger subnet of that family`,
        });
    },
  ),
  [
    {
      rule: `size(self) < 2 || ${FAMILY_OF(0)} != ${FAMILY_OF(1)}`,
      message:
        'subnets takes one IPv4 and one IPv6 subnet: two subnets of one family; remove one, or use a larger subnet of that family',
    },
    { rule: 'self == oldSelf', message: `subnets cannot be changed once set: ${IMMUTABLE}` },
  ],
).meta({
  description:
    'Dual-stack (or single-family with per-subnet blocks): one or two pod subnets of distinct families. Exclusive with subnet; immutable.',
});

const specShape = {
  subnet: withCel(
    optionalCidrField('host-subnet mode').superRefine((v, ctx) => {
      const problem = reservedSubnetProblem(v);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    }),
    [...RESERVED_SUBNET_RULES, { rule: 'self == oldSelf', message: `subnet cannot be changed once set: ${IMMUTABLE}` }],
  ).optional(),
  subnets: subnetsField.optional(),
  masterNets: listField(cidrField(), { max: 64, what: 'master networks' })
    .meta({ 'x-kubernetes-list-type': 'set' })
    .optional(),
  ipam: IpamFieldSchema,
  multiNICIPAM: z.boolean().optional(),
  plugin: PluginSchema,
  attachPolicy: AttachPolicySchema.optional(),
  namespaces: listField(dnsLabelField('a namespace name'), { max: 256, what: 'namespaces' })
    .meta({ 'x-kubernetes-list-type': 'set' })
    .optional(),
};

type SpecShape = z.output<z.ZodObject<typeof specShape>>;

/**
 * Whether a network's addresses come from multinic's pools (`multiNICIPAM: true`, or `ipam.type: multi-nic-ipam` run
 * per delegate): then it needs blocks, and the agent chooses only NICs that have an IPPool of it. Otherwise
 * (`multiNICIPAM: false` with another IPAM) every delegate runs that IPAM, and any NIC on a master network will do.
 */
export function usesMultiNicIpam(spec: Pick<SpecShape, 'multiNICIPAM' | 'ipam'>): boolean {
  return spec.multiNICIPAM === true || spec.ipam.type === MULTI_NIC_IPAM;
}

/** A pod subnet and its blocks as planned: an entry of `subnets` (blocks defaulting to ipam's), or `subnet`. */
interface FamilySubnet {
  readonly cidr: string;
  readonly interfaceBlock: number | undefined;
  readonly hostBlock: number | undefined;
  /** Where the subnet is written, and where its blocks are (the entry's own, else ipam's). */
  readonly path: readonly PropertyKey[];
  readonly blockPath: (key: 'interfaceBlock' | 'hostBlock') => PropertyKey[];
  readonly name: string;
}

/** The pod subnets of a spec, one per family (host-subnet mode: none). */
function familySubnets(spec: Pick<SpecShape, 'subnet' | 'subnets' | 'ipam'>): FamilySubnet[] {
  const { ipam } = spec;
  if (spec.subnets !== undefined)
    return spec.subnets.map((entry, i) => ({
      cidr: entry.cidr,
      interfaceBlock: entry.interfaceBlock ?? ipam.interfaceBlock,
      hostBlock: entry.hostBlock ?? ipam.hostBlock,
      path: ['subnets', i],
      blockPath: (key) => (entry[key] === undefined ? ['ipam', key] : ['subnets', i, key]),
      name: `subnets[${i}]`,
    }));
  if (spec.subnet === undefined || spec.subnet === '') return [];
  return [
    {
      cidr: spec.subnet,
      interfaceBlock: ipam.interfaceBlock,
      hostBlock: ipam.hostBlock,
      path: ['subnet'],
      blockPath: (key) => ['ipam', key],
      name: 'subnet',
    },
  ];
}

function requireBlocks(entry: FamilySubnet, ctx: z.core.$RefinementCtx): void {
  for (const key of ['interfaceBlock', 'hostBlock'] as const) {
    if (entry[key] !== undefined) continue;
    const what = key === 'hostBlock' ? 'bits of the host index' : 'bits of the NIC network index';
    ctx.addIssue({
      code: 'custom',
      path: entry.name === 'subnet' ? ['ipam', key] : [...entry.path, key],
      message:
        entry.name === 'subnet'
          ? `is required when subnet is set (${what})`
          : `is required for ${entry.cidr} (${what}): set ${entry.name}.${key} or ipam.${key}`,
    });
  }
}

/** The pod blocks of one subnet must hold a pod address: what cidr-core's plan refuses (NO_ROOM_FOR_PODS). */
function checkFamilyBlocks(entry: FamilySubnet, ctx: z.core.$RefinementCtx): void {
  const subnet = tryPrefix(entry.cidr);
  if (subnet === undefined) return;
  requireBlocks(entry, ctx);
  const { hostBlock, interfaceBlock } = entry;
  const valid = (n: unknown): n is number =>
    Number.isInteger(n) && (n as number) >= 0 && (n as number) <= MAX_BLOCK_BITS;
  if (!valid(hostBlock) || !valid(interfaceBlock)) return; // already reported field by field
  // The longest pod block that still holds a pod address: /30 for IPv4 (network and broadcast address besides),
  // /127 for IPv6 (the network address besides); cidr-core's plan refuses anything longer (NO_ROOM_FOR_PODS).
  const maxPod = familyBits(subnet.family) - (subnet.family === 4 ? 2 : 1);
  const podLength = subnet.length + interfaceBlock + hostBlock;
  if (podLength <= maxPod) return;
  const hostRoom = maxPod - subnet.length - interfaceBlock;
  const fix =
    hostRoom >= 0
      ? `lower hostBlock to at most ${hostRoom} (or interfaceBlock), or use a larger subnet`
      : `lower interfaceBlock to at most ${Math.max(0, maxPod - subnet.length)} and hostBlock to 0, or use a larger subnet`;
  const own = entry.blockPath('hostBlock').length > 2 || entry.blockPath('interfaceBlock').length > 2;
  ctx.addIssue({
    code: 'custom',
    path: entry.name === 'subnet' ? ['ipam'] : own ? [...entry.path] : ['ipam'],
    message: `interfaceBlock ${interfaceBlock} + hostBlock ${hostBlock} do not fit ${entry.name === 'subnet' ? 'subnet' : entry.name} ${entry.cidr}: pod blocks would be /${podLength}, and an IPv${subnet.family} pod block must be at most /${maxPod} to hold a pod address; ${fix}`,
  });
}

function checkBlocks(spec: SpecShape, ctx: z.core.$RefinementCtx): void {
  if (!usesMultiNicIpam(spec)) return;
  for (const entry of familySubnets(spec)) checkFamilyBlocks(entry, ctx);
}

function checkExcludes(spec: SpecShape, ctx: z.core.$RefinementCtx): void {
  const subnets = familySubnets(spec).flatMap((entry) => {
    const prefix = tryPrefix(entry.cidr);
    return prefix === undefined ? [] : [{ prefix, text: entry.cidr }];
  });
  if (subnets.length === 0) return;
  (spec.ipam.excludeCIDRs ?? []).forEach((text, i) => {
    const exclude = tryPrefix(text);
    if (exclude !== undefined && !subnets.some((s) => prefixContains(s.prefix, exclude))) {
      ctx.addIssue({
        code: 'custom',
        path: ['ipam', 'excludeCIDRs', i],
        message: `${text} lies outside ${subnets.length === 1 ? `subnet ${subnets[0]?.text}` : `subnets ${subnets.map((s) => s.text).join(' and ')}`}: remove it or fix the prefix`,
      });
    }
  });
}

function checkDuplicates(list: readonly string[] | undefined, key: string, ctx: z.core.$RefinementCtx): void {
  const seen = new Set<string>();
  (list ?? []).forEach((item, i) => {
    if (seen.has(item))
      ctx.addIssue({
        code: 'custom',
        path: [key, i],
        message: `duplicate entry ${JSON.stringify(item)}: list it once`,
      });
    seen.add(item);
  });
}

export const MultiNicNetworkSpecSchema = withCel(
  z.strictObject(specShape).superRefine((spec, ctx) => {
    if (spec.subnet !== undefined && spec.subnets !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['subnets'],
        message: 'set subnet or subnets, not both: move subnet into subnets (as {cidr: ...}) or drop subnets',
      });
    checkBlocks(spec, ctx);
    checkExcludes(spec, ctx);
    checkDuplicates(spec.masterNets, 'masterNets', ctx);
    checkDuplicates(spec.namespaces, 'namespaces', ctx);
  }),
  [
    { rule: '!has(oldSelf.subnet) || has(self.subnet)', message: `subnet cannot be removed once set: ${IMMUTABLE}` },
    {
      rule: '!has(self.subnet) || !has(self.subnets)',
      message: 'set subnet or subnets, not both: move subnet into subnets (as {cidr: ...}) or drop subnets',
      fieldPath: '.subnets',
    },
    {
      rule: '!has(oldSelf.subnets) || has(self.subnets)',
      message: `subnets cannot be removed once set: ${IMMUTABLE}`,
    },
  ],
);
export type MultiNicNetworkSpec = z.output<typeof MultiNicNetworkSpecSchema>;

/** Condition types the controller writes on a MultiNicNetwork. */
export const NETWORK_CONDITION_TYPES = ['Ready', 'Degraded', 'PlanComputed', 'RoutesApplied'] as const;
/** Reasons the controller uses in those conditions. */
export const NETWORK_CONDITION_REASONS = [
  'Planned',
  'InvalidSpec',
  'Conflict',
  'BlocksChanged',
  'CapacityExceeded',
  'NoHosts',
  'RoutesPending',
  'RoutesApplied',
  'RoutesFailed',
  'AttachmentsReady',
] as const;
export const ROUTE_STATUSES = ['N/A', 'WaitForRoutes', 'Unknown', 'Success', 'Failed'] as const;
export type RouteStatus = (typeof ROUTE_STATUSES)[number];

export const NetworkInterfaceStatusSchema = z.strictObject({
  netAddress: cidrField(),
  interfaceIndex: intField({ min: 0, max: 2 ** 32 - 1 }).optional(),
  vlanCIDR: cidrField().optional(),
  numOfHosts: intField({ min: 0, max: 2 ** 32 - 1 }),
});

export const MultiNicNetworkStatusSchema = z.strictObject({
  observedGeneration: intField({ min: 0, max: Number.MAX_SAFE_INTEGER }).optional(),
  conditions: conditionsField().optional(),
  interfaces: listField(NetworkInterfaceStatusSchema, { max: 1024, what: 'interfaces' })
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['netAddress'] })
    .optional(),
  routes: z
    .strictObject({
      status: z.enum(ROUTE_STATUSES),
      appliedHosts: intField({ min: 0, max: 2 ** 32 - 1 }).optional(),
      failedHosts: listField(dnsSubdomainField('a node name'), { max: 64, what: 'failed hosts' }).optional(),
      message: z.string().max(4096).optional(),
    })
    .optional(),
});
export type MultiNicNetworkStatus = z.output<typeof MultiNicNetworkStatusSchema>;

export const MultiNicNetworkSchema = z.strictObject({
  ...envelope('MultiNicNetwork'),
  spec: MultiNicNetworkSpecSchema,
  status: MultiNicNetworkStatusSchema.optional(),
});
export type MultiNicNetwork = z.output<typeof MultiNicNetworkSchema>;
export type MultiNicNetworkInput = z.input<typeof MultiNicNetworkSchema>;
