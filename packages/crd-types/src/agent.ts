// The node agent's local API (HTTP over /run/multinic/agent.sock), used by the multi-nic CNI plugin.
// Flow for one ADD: select (which host NICs) → allocate (one address per NIC, all or nothing) → delegate per NIC.
import { z } from 'zod';
import { CniErrorCode, CniRouteSchema } from './cni.js';
import {
  cidrField,
  dnsSubdomainField,
  ifNameField,
  interfaceCidrField,
  ipField,
  listField,
  optionalIpField,
  pciAddressField,
} from './fields.js';

const MAX_NICS = 64;

export const PodRefSchema = z.strictObject({
  name: dnsSubdomainField('the pod name'),
  namespace: z.string().min(1, { error: 'must not be empty (the pod namespace)' }).max(63),
  uid: z.string().min(1, { error: 'must not be empty (the pod UID)' }).max(64),
});
export type PodRef = z.output<typeof PodRefSchema>;

const containerIdField = z.string().min(1, { error: 'must not be empty (CNI_CONTAINERID)' }).max(256);
const networkField = dnsSubdomainField('the MultiNicNetwork name');

/** A host NIC chosen for the pod, and the interface it becomes inside the pod. */
export const SelectedNicSchema = z.strictObject({
  interfaceName: ifNameField().meta({ description: "The host NIC (the delegate plugin's master / device)." }),
  netAddress: z.string().max(49),
  hostIP: optionalIpField('a NIC without an address').optional(),
  pciAddress: pciAddressField().optional(),
  podInterface: ifNameField().meta({ description: 'Interface name inside the pod.' }),
});
export type SelectedNic = z.output<typeof SelectedNicSchema>;

function uniqueNics(nics: readonly SelectedNic[], ctx: z.core.$RefinementCtx): void {
  for (const key of ['interfaceName', 'podInterface'] as const) {
    const seen = new Set<string>();
    nics.forEach((nic, i) => {
      if (seen.has(nic[key]))
        ctx.addIssue({
          code: 'custom',
          path: ['nics', i, key],
          message: `duplicate ${key} ${JSON.stringify(nic[key])}: each NIC may appear once`,
        });
      seen.add(nic[key]);
    });
  }
}

// ---------------------------------------------------------------- select

export const SelectRequestSchema = z.strictObject({
  network: networkField,
  containerID: containerIdField,
  ifname: ifNameField(),
  pod: PodRefSchema,
  /** Multus `cni-args` of the attachment (`nics`, `master`, `class`, `target`, …). */
  cniArgs: z.record(z.string(), z.unknown()).optional(),
  /** Devices a device plugin allocated (Multus `runtimeConfig.deviceID`), PCI addresses. */
  deviceIDs: listField(z.string().min(1).max(64), { max: MAX_NICS, what: 'device ids' }).optional(),
});
export type SelectRequest = z.output<typeof SelectRequestSchema>;

export const NicDecisionSchema = z.strictObject({
  interfaceName: ifNameField(),
  selected: z.boolean(),
  reason: z.string().max(1024),
});
export type NicDecision = z.output<typeof NicDecisionSchema>;

export const SelectResponseSchema = z
  .strictObject({
    network: networkField,
    nics: listField(SelectedNicSchema, { max: MAX_NICS, what: 'NICs' }),
    /** Why each candidate NIC was or was not chosen. */
    decisions: z.array(NicDecisionSchema),
  })
  .superRefine((r, ctx) => uniqueNics(r.nics, ctx));
export type SelectResponse = z.output<typeof SelectResponseSchema>;

// ---------------------------------------------------------------- allocate

export const AllocateRequestSchema = z
  .strictObject({
    network: networkField,
    containerID: containerIdField,
    ifname: ifNameField(),
    netns: z.string().max(4096).optional(),
    pod: PodRefSchema,
    nics: listField(SelectedNicSchema, { max: MAX_NICS, what: 'NICs', min: 1 }),
    /** Addresses the pod asked for (Multus `ips`); each must land on one NIC or the whole request fails. */
    ips: listField(z.string().max(49), { max: MAX_NICS, what: 'requested addresses' }).optional(),
  })
  .superRefine((r, ctx) => {
    uniqueNics(r.nics, ctx);
    // A dual-stack NIC takes one address of each family (ADR 0006).
    if (r.ips !== undefined && r.ips.length > 2 * r.nics.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['ips'],
        message: `asks for ${r.ips.length} addresses but only ${r.nics.length} NICs were selected: one address per NIC and IP family`,
      });
    }
  });
export type AllocateRequest = z.output<typeof AllocateRequestSchema>;

/** The second family's address of a dual-stack NIC (ADR 0006 decision 5): the same fields as the first family's. */
export const OtherFamilyAllocationSchema = z.strictObject({
  address: interfaceCidrField(),
  podCIDR: cidrField(),
  vlanCIDR: cidrField(),
  ippool: dnsSubdomainField('the IPPool name'),
  gateway: ipField().optional(),
});
export type OtherFamilyAllocation = z.output<typeof OtherFamilyAllocationSchema>;

export const AllocationSchema = z
  .strictObject({
    interfaceName: ifNameField(),
    podInterface: ifNameField(),
    /** Address with prefix length as it goes into the CNI result (`ips[].address`); the first family's. */
    address: interfaceCidrField(),
    gateway: ipField().optional(),
    podCIDR: cidrField(),
    vlanCIDR: cidrField(),
    ippool: dnsSubdomainField('the IPPool name'),
    routes: z.array(CniRouteSchema).optional(),
    /**
     * A dual-stack network's address of the other family on the same NIC, allocated together with `address` (all or
     * nothing). Absent on a single-family network, so consumers that know one address keep working.
     */
    otherFamily: OtherFamilyAllocationSchema.optional(),
  })
  .superRefine((a, ctx) => {
    if (a.otherFamily !== undefined && a.otherFamily.address.includes(':') === a.address.includes(':')) {
      ctx.addIssue({
        code: 'custom',
        path: ['otherFamily', 'address'],
        message: `${a.otherFamily.address} is of the same family as address ${a.address}: otherFamily holds the other IP family's address`,
      });
    }
  });
export type Allocation = z.output<typeof AllocationSchema>;

/** All or nothing: one allocation per requested NIC, in request order. Repeating the request returns the same. */
export const AllocateResponseSchema = z.strictObject({
  network: networkField,
  containerID: containerIdField,
  ifname: ifNameField(),
  allocations: listField(AllocationSchema, { max: MAX_NICS, what: 'allocations', min: 1 }),
});
export type AllocateResponse = z.output<typeof AllocateResponseSchema>;

// ---------------------------------------------------------------- release / gc / status

/** Idempotent: releasing what is not allocated succeeds with nothing released. */
export const ReleaseRequestSchema = z.strictObject({
  network: networkField,
  containerID: containerIdField,
  ifname: ifNameField(),
  /** The pod the attachment belongs to: only its own attachment is released (CNI_ARGS K8S_POD_UID). */
  podUID: z
    .string()
    .min(1, {
      error: 'is required: the agent releases an attachment only for the pod that holds it (K8S_POD_UID in CNI_ARGS)',
    })
    .max(64),
});
export type ReleaseRequest = z.output<typeof ReleaseRequestSchema>;

export const ReleaseResponseSchema = z.strictObject({
  released: z.array(z.strictObject({ interfaceName: ifNameField(), address: ipField() })),
});
export type ReleaseResponse = z.output<typeof ReleaseResponseSchema>;

/** CNI GC: everything of `network` on this node that is not a valid attachment is released. */
export const GcRequestSchema = z.strictObject({
  network: networkField,
  validAttachments: z.array(z.strictObject({ containerID: containerIdField, ifname: ifNameField() })),
});
export type GcRequest = z.output<typeof GcRequestSchema>;

export const GcResponseSchema = z.strictObject({
  released: z.number().int().min(0),
  kept: z.number().int().min(0),
});
export type GcResponse = z.output<typeof GcResponseSchema>;

/**
 * What the agent holds for one attachment, without changing anything: CHECK compares it with prevResult, and DEL
 * rebuilds the delegate configurations from it (it knows the host NIC of every pod interface).
 */
export const LookupRequestSchema = z.strictObject({
  network: networkField,
  containerID: containerIdField,
  ifname: ifNameField(),
});
export type LookupRequest = z.output<typeof LookupRequestSchema>;

/** In NIC order, as allocate answered; empty when the agent holds nothing for the attachment. */
export const LookupResponseSchema = z.strictObject({
  allocations: listField(AllocationSchema, { max: MAX_NICS, what: 'allocations' }),
});
export type LookupResponse = z.output<typeof LookupResponseSchema>;

export const StatusRequestSchema = z.strictObject({ network: networkField.optional() });
export type StatusRequest = z.output<typeof StatusRequestSchema>;

export const StatusResponseSchema = z.strictObject({
  ready: z.boolean(),
  reason: z.string().max(128).optional(),
  message: z.string().max(4096).optional(),
});
export type StatusResponse = z.output<typeof StatusResponseSchema>;

/**
 * Body of every non-2xx answer. `code` is the CNI error code the plugin reports (e.g. 7 for a bad request caused
 * by the network config, 11 "try again later" while the agent starts, 50 when not ready); `field` names the
 * request field at fault.
 */
export const AgentErrorSchema = z.strictObject({
  code: z.number().int().min(0),
  msg: z.string(),
  details: z.string().optional(),
  field: z.string().optional(),
});
export type AgentError = z.output<typeof AgentErrorSchema>;

export const AGENT_ERROR_CODES = {
  badRequest: CniErrorCode.DecodingFailure,
  invalidConfig: CniErrorCode.InvalidNetworkConfig,
  notReady: CniErrorCode.PluginNotAvailable,
  tryAgain: CniErrorCode.TryAgainLater,
  /** The pool is exhausted or a requested address is taken (plugin-specific). */
  exhausted: 100,
  requestedAddressUnavailable: 101,
} as const;
