// HostInterface, CIDR, IPPool and NicClass: the resources the node agent and the controller write.
import { z } from 'zod';
import {
  cidrField,
  dnsSubdomainField,
  ifNameField,
  intField,
  listField,
  macField,
  optionalCidrField,
  optionalIpField,
  ipField,
  pciAddressField,
  pciIdField,
  interfaceCidrField,
  withCel,
} from './fields.js';
import { conditionsField, envelope } from './meta.js';
import { MAX_BLOCK_BITS } from './multinicnetwork.js';
import { prefixContainsAddress } from '@multinic/cidr-core';
import { tryAddress, tryPrefix } from './prefix-math.js';

const MAX_U32 = 2 ** 32 - 1;

// ---------------------------------------------------------------- HostInterface

/** One NIC of a host, as discovered by the node agent. */
export const HostNicSchema = z
  .strictObject({
    interfaceName: ifNameField(),
    netAddress: optionalCidrField('a NIC without an address'),
    hostIP: optionalIpField('a NIC without an address'),
    addresses: listField(interfaceCidrField(), { max: 32, what: 'addresses' }).optional(),
    mac: macField().optional(),
    mtu: intField({ min: 68, max: 65535, what: 'the MTU' }).optional(),
    speedMbps: intField({ min: 0, max: 10_000_000, what: 'link speed in Mbit/s' }).optional(),
    numaNode: intField({ min: 0, max: 1023, what: 'omit it when the NIC has no NUMA affinity' }).optional(),
    pciAddress: pciAddressField().optional(),
    vendor: pciIdField('vendor').optional(),
    product: pciIdField('device').optional(),
    driver: z.string().max(64).optional(),
    pfPciAddress: pciAddressField()
      .meta({ description: 'For an SR-IOV virtual function: the PCI address of its physical function.' })
      .optional(),
    totalVfs: intField({ min: 0, max: 4096, what: 'SR-IOV virtual functions the NIC supports' }).optional(),
    gateway: ipField()
      .meta({
        description:
          "The gateway of the NIC's network, discovered from the host's routes through this NIC (a default or network route with a next hop inside netAddress). Host-subnet mode never hands it out and gives it to pods as their gateway on this NIC.",
      })
      .optional(),
    lentTo: z
      .string()
      .min(3)
      .max(317)
      .meta({
        description:
          "Set while the NIC is lent to a pod: it left the host (a host-device delegate moved it into the pod's network namespace) and a pod (namespace/name; the first by name when several) still holds an address on it. The node agent keeps reporting it with its last-known addressing, so its plan and IPPool stay, and gives it to no other pod until it is back.",
      })
      .optional(),
  })
  .superRefine((nic, ctx) => {
    const net = tryPrefix(nic.netAddress);
    const ip = tryAddress(nic.hostIP);
    if (net !== undefined && ip !== undefined && !prefixContainsAddress(net, ip)) {
      ctx.addIssue({
        code: 'custom',
        path: ['hostIP'],
        message: `${nic.hostIP} is not inside netAddress ${nic.netAddress}`,
      });
    }
    const gw = nic.gateway === undefined ? undefined : tryAddress(nic.gateway);
    if (net !== undefined && gw !== undefined && !prefixContainsAddress(net, gw)) {
      ctx.addIssue({
        code: 'custom',
        path: ['gateway'],
        message: `${nic.gateway} is not inside netAddress ${nic.netAddress}`,
      });
    }
    if ((nic.netAddress === '') !== (nic.hostIP === '')) {
      ctx.addIssue({
        code: 'custom',
        path: [nic.netAddress === '' ? 'netAddress' : 'hostIP'],
        message: 'netAddress and hostIP must both be set or both be ""',
      });
    }
  });
export type HostNic = z.output<typeof HostNicSchema>;

export const HOST_ROUTE_STATUSES = ['Pending', 'Success', 'Failed'] as const;

export const HostRouteStatusSchema = z.strictObject({
  network: dnsSubdomainField('a MultiNicNetwork name'),
  status: z.enum(HOST_ROUTE_STATUSES, { error: 'must be "Pending", "Success" or "Failed"' }),
  table: intField({ min: 1, max: MAX_U32, what: 'a routing table id' }).optional(),
  tableName: z.string().max(64).optional(),
  routes: intField({ min: 0, max: MAX_U32, what: 'routes programmed' }).optional(),
  observedGeneration: intField({ min: 0, max: Number.MAX_SAFE_INTEGER }).optional(),
  message: z.string().max(4096).optional(),
});
export type HostRouteStatus = z.output<typeof HostRouteStatusSchema>;

export const HostInterfaceSpecSchema = z.strictObject({
  hostName: dnsSubdomainField('the node name'),
  interfaces: listField(HostNicSchema, { max: 128, what: 'interfaces' }).meta({
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['interfaceName'],
  }),
});
export type HostInterfaceSpec = z.output<typeof HostInterfaceSpecSchema>;

export const HostInterfaceStatusSchema = z.strictObject({
  conditions: conditionsField().optional(),
  routes: listField(HostRouteStatusSchema, { max: 256, what: 'networks' })
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['network'] })
    .optional(),
});
export type HostInterfaceStatus = z.output<typeof HostInterfaceStatusSchema>;

function uniqueBy<T>(
  items: readonly T[],
  key: (t: T) => string,
  options: { field: string; ctx: z.core.$RefinementCtx; path: readonly PropertyKey[] },
): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k))
      options.ctx.addIssue({
        code: 'custom',
        path: [...options.path, i, options.field],
        message: `duplicate ${options.field} ${JSON.stringify(k)}: each must appear once`,
      });
    seen.add(k);
  });
}

/** One per node (name = node name), written by the node agent. */
export const HostInterfaceSchema = withCel(
  z
    .strictObject({
      ...envelope('HostInterface'),
      spec: HostInterfaceSpecSchema,
      status: HostInterfaceStatusSchema.optional(),
    })
    .superRefine((hi, ctx) => {
      uniqueBy(hi.spec.interfaces, (n) => n.interfaceName, {
        field: 'interfaceName',
        ctx,
        path: ['spec', 'interfaces'],
      });
      if (hi.spec.hostName !== hi.metadata.name) {
        ctx.addIssue({
          code: 'custom',
          path: ['spec', 'hostName'],
          message: `must equal metadata.name (${hi.metadata.name}): a HostInterface is named after its node`,
        });
      }
    }),
  [
    {
      rule: 'self.spec.hostName == self.metadata.name',
      message: 'spec.hostName must equal metadata.name: a HostInterface is named after its node',
      fieldPath: '.spec.hostName',
    },
  ],
);
export type HostInterface = z.output<typeof HostInterfaceSchema>;

// ---------------------------------------------------------------- CIDR

/** The plan inputs recorded with a plan (cidr-core's `PlanConfig`). */
export const PlanConfigSchema = z.strictObject({
  subnet: optionalCidrField('host-subnet mode'),
  interfaceBlock: intField({ min: 0, max: MAX_BLOCK_BITS }),
  hostBlock: intField({ min: 0, max: MAX_BLOCK_BITS })
    .meta({ description: 'Absent only in host-subnet mode: each NIC network then takes the default hostBlock.' })
    .optional(),
  masterNets: listField(cidrField(), { max: 64, what: 'master networks' }),
  excludeCIDRs: listField(cidrField(), { max: 256, what: 'excluded prefixes' }),
});

// CIDR is written by the controller only and its host list is long: zod checks the addresses; the CRD keeps
// them to plain bounded strings so the API server's CEL cost estimate stays within budget.
const NO_CEL = { cel: false } as const;
const MAX_PLAN_NETWORKS = 256;
const MAX_PLAN_HOSTS = 16384;

export const PlanHostEntrySchema = z.strictObject({
  hostIndex: intField({ min: 0, max: MAX_U32 }),
  hostName: dnsSubdomainField('a node name'),
  interfaceName: ifNameField(),
  hostIP: ipField(NO_CEL),
  podCIDR: cidrField(NO_CEL),
  ippool: dnsSubdomainField('an IPPool name'),
});

export const PlanInterfaceEntrySchema = z.strictObject({
  netAddress: cidrField(),
  interfaceIndex: intField({ min: 0, max: MAX_U32 }),
  vlanCIDR: cidrField(),
  hosts: listField(PlanHostEntrySchema, { max: MAX_PLAN_HOSTS, what: 'hosts' }),
  /** Host indexes at or above this were never handed out on this network (cidr-core keeps freed indexes cold). */
  highWater: intField({ min: 0, max: MAX_U32 }).exactOptional(),
});

function checkPlan(
  spec: { cidr: readonly { interfaceIndex: number; hosts: readonly { hostIndex: number }[] }[] },
  ctx: z.core.$RefinementCtx,
): void {
  uniqueBy(spec.cidr, (e) => String(e.interfaceIndex), { field: 'interfaceIndex', ctx, path: ['cidr'] });
  spec.cidr.forEach((entry, i) =>
    uniqueBy(entry.hosts, (h) => String(h.hostIndex), { field: 'hostIndex', ctx, path: ['cidr', i, 'hosts'] }),
  );
}

const planShape = {
  config: PlanConfigSchema,
  cidr: listField(PlanInterfaceEntrySchema, { max: MAX_PLAN_NETWORKS, what: 'NIC networks' }),
};

/** The plan of a dual-stack network's second pod subnet (`subnets[1]`): the same shape as the first (ADR 0006). */
export const FamilyPlanSchema = z.strictObject(planShape).superRefine(checkPlan).meta({
  description:
    "The plan of the network's second pod subnet (subnets[1], the other family): the same NIC networks at the same interface indexes as the first.",
});

/** `CIDR.spec`: exactly cidr-core's `NetworkPlan`, plus the other family's plan for a dual-stack network. */
export const CidrSpecSchema = z
  .strictObject({ ...planShape, otherFamily: FamilyPlanSchema.optional() })
  .superRefine(checkPlan);
export type CidrSpec = z.output<typeof CidrSpecSchema>;

/** One per network (name = network name), written by the controller. */
export const CidrSchema = z.strictObject({
  ...envelope('CIDR'),
  spec: CidrSpecSchema,
});
export type Cidr = z.output<typeof CidrSchema>;

// ---------------------------------------------------------------- IPPool

export const IPPoolSpecSchema = z.strictObject({
  network: dnsSubdomainField('a MultiNicNetwork name'),
  hostName: dnsSubdomainField('a node name'),
  interfaceName: ifNameField(),
  podCIDR: cidrField(),
  vlanCIDR: cidrField(),
  excludes: listField(cidrField(), { max: 1024, what: 'excluded prefixes' }),
  gateway: ipField()
    .meta({
      description:
        "The pods' gateway on this NIC network (host-subnet mode: the NIC's discovered gateway); the node agent returns it with every allocation from this pool.",
    })
    .optional(),
});
export type IPPoolSpec = z.output<typeof IPPoolSpecSchema>;

export const IPPoolAllocationSchema = z.strictObject({
  address: ipField(),
  containerID: z.string().min(1, { error: 'must not be empty' }).max(256),
  interface: ifNameField(),
  podName: dnsSubdomainField('a pod name'),
  podNamespace: z.string().min(1).max(63),
  podUID: z.string().min(1, { error: 'must not be empty' }).max(64),
});
export type IPPoolAllocation = z.output<typeof IPPoolAllocationSchema>;

/** Far above kubelet's max-pods; keeps the object well below etcd's size limit and the CEL cost in budget. */
export const MAX_ALLOCATIONS = 8192;

export const IPPoolStatusSchema = z.strictObject({
  observedGeneration: intField({ min: 0, max: Number.MAX_SAFE_INTEGER }).optional(),
  conditions: conditionsField().optional(),
  allocations: listField(IPPoolAllocationSchema, {
    max: MAX_ALLOCATIONS,
    what: 'allocations (one pool holds at most this many pods)',
  })
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['address'] })
    .optional(),
});
export type IPPoolStatus = z.output<typeof IPPoolStatusSchema>;

/** One per (network, node, interface): the controller owns `spec`, the node agent owns `status.allocations`. */
export const IPPoolSchema = z
  .strictObject({
    ...envelope('IPPool'),
    spec: IPPoolSpecSchema,
    status: IPPoolStatusSchema.optional(),
  })
  .superRefine((pool, ctx) => {
    const pod = tryPrefix(pool.spec.podCIDR);
    (pool.status?.allocations ?? []).forEach((a, i) => {
      const ip = tryAddress(a.address);
      if (pod !== undefined && ip !== undefined && !prefixContainsAddress(pod, ip)) {
        ctx.addIssue({
          code: 'custom',
          path: ['status', 'allocations', i, 'address'],
          message: `${a.address} is outside the pool's podCIDR ${pool.spec.podCIDR}`,
        });
      }
    });
    uniqueBy(pool.status?.allocations ?? [], (a) => a.address, {
      field: 'address',
      ctx,
      path: ['status', 'allocations'],
    });
  });
export type IPPool = z.output<typeof IPPoolSchema>;

// ---------------------------------------------------------------- NicClass

export const NicClassSpecSchema = z.strictObject({
  vendor: pciIdField('vendor'),
  products: listField(pciIdField('device'), { max: 64, what: 'products' }).meta({ 'x-kubernetes-list-type': 'set' }),
});
export type NicClassSpec = z.output<typeof NicClassSpecSchema>;

/** A named PCI vendor/product filter (multi-nic-cni's DeviceClass, renamed to avoid DRA's DeviceClass). */
export const NicClassSchema = z.strictObject({
  ...envelope('NicClass'),
  spec: NicClassSpecSchema,
});
export type NicClass = z.output<typeof NicClassSchema>;
