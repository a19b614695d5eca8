import type { AttachPolicy, HostNic, NicClassSpec } from '@multinic/crd-types';

/** The strategies an attach policy may name (mirrors `AttachPolicy['strategy']`). */
export type Strategy = AttachPolicy['strategy'];

/** What the pod asked for: Multus `cni-args` plus what a device plugin / DRA already allocated. */
export interface PodNicRequest {
  /** How many NICs the pod wants (cni-args `nics`). Overrides the policy's `nics`. */
  readonly nics?: number;
  /** Interface names the pod wants, in order (cni-args `masters`). They must exist and all be eligible. */
  readonly masters?: readonly string[];
  /** Bandwidth target for `costOpt`/`perfOpt` (cni-args `target`, e.g. "200Gbps"). Overrides the policy's `target`. */
  readonly target?: string;
  /** NicClass name for `nicClass` (cni-args `class`). Overrides the policy's `class`. */
  readonly class?: string;
  /** PCI addresses a device plugin or DRA allocated to the pod, in allocation order. Short-circuits every strategy. */
  readonly allocatedPciAddresses?: readonly string[];
  /** The NUMA node of each of the pod's GPUs, one entry per GPU (so `[0, 0, 1]` = two GPUs on node 0, one on node 1). */
  readonly gpuNumaNodes?: readonly number[];
}

/** The part of a MultiNicNetwork spec that policy reads. */
export interface PolicyNetwork {
  /** Network addresses (HostNic.netAddress) the network may use; empty or absent = every NIC. */
  readonly masterNets?: readonly string[];
  /** Absent = `{ strategy: 'none' }`. */
  readonly attachPolicy?: AttachPolicy;
}

/** Resolves a NicClass by name; `undefined` when no such class exists. */
export type NicClassLookup = (name: string) => NicClassSpec | undefined;

export interface SelectNicsInput {
  /** The host's NICs (`HostInterface.spec.interfaces`). */
  readonly hostNics: readonly HostNic[];
  readonly network: PolicyNetwork;
  readonly request?: PodNicRequest;
  /** Needed by the `nicClass` strategy only. */
  readonly nicClasses?: NicClassLookup;
}

/** Why a NIC was not chosen. */
export type NotChosenCode =
  | 'not-in-master-nets'
  | 'not-requested'
  | 'not-device-allocated'
  | 'class-mismatch'
  | 'no-pci-identity'
  | 'selector-false'
  | 'speed-unknown'
  | 'target-reached'
  | 'nic-limit';

export interface NotChosen {
  readonly interfaceName: string;
  readonly code: NotChosenCode;
  readonly message: string;
}

export interface NicSelection {
  /** The chosen NICs in pod-interface order: the i-th becomes `<ifname>-<i>`. */
  readonly chosen: readonly HostNic[];
  /** Every host NIC that was not chosen, in stable interface-name order, with the reason. */
  readonly notChosen: readonly NotChosen[];
  /** The strategy that produced `chosen` (for `firstAvailable`, the winning alternative's strategy). */
  readonly strategy: Strategy;
  /** True when `chosen` came from device-plugin / DRA allocations and no strategy ran. */
  readonly deviceAllocated: boolean;
  /** For `firstAvailable`: the index of the alternative that won. */
  readonly alternative?: number;
}

export type PolicyErrorCode =
  | 'too-few-nics'
  | 'duplicate-interface'
  | 'unknown-master'
  | 'unknown-device'
  | 'missing-argument'
  | 'invalid-argument'
  | 'unknown-class'
  | 'target-unreachable'
  | 'cel-compile'
  | 'cel-eval'
  | 'no-alternative'
  | 'unknown-strategy';

export interface PolicyError {
  readonly code: PolicyErrorCode;
  /** Says what was asked, what exists, and what to do. */
  readonly message: string;
  /** The reasons the NICs that exist were not usable, when that explains the error. */
  readonly notChosen?: readonly NotChosen[];
  /** For `no-alternative`: each alternative's own error, in order. */
  readonly alternatives?: readonly PolicyError[];
}

export type PolicyResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: PolicyError };
