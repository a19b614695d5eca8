// The plan inputs of a MultiNicNetwork: the part of its spec that cidr-core plans with, and that the CIDR
// resource records as `spec.config`. Shared by the CLI (`multinic plan`) and the controller.
import type { PlanConfig, PlanHost, PlanNic } from '@multinic/cidr-core';
import type { MultiNicNetwork } from './multinicnetwork.js';

/** The plan inputs of a network: what cidr-core needs and what the CIDR resource records as `config`. */
export function planConfigOf(network: MultiNicNetwork): PlanConfig {
  const { spec } = network;
  return {
    subnet: spec.subnet ?? '',
    interfaceBlock: spec.ipam.interfaceBlock ?? 0,
    hostBlock: spec.ipam.hostBlock ?? 0,
    masterNets: [...(spec.masterNets ?? [])],
    excludeCIDRs: [...(spec.ipam.excludeCIDRs ?? [])],
  };
}

/** What planning reads of a HostInterface (parsed, or as the API server stored it). */
export interface PlannedHostInterface {
  readonly metadata: { readonly name: string };
  readonly spec?: {
    readonly interfaces?: readonly {
      readonly interfaceName?: string;
      readonly netAddress?: string;
      readonly hostIP?: string;
    }[];
  };
}

/**
 * The plan inputs of one host: its NICs that have an address. A NIC without one (an SR-IOV PF, a link not yet
 * configured) cannot carry a pod block, so it is left out rather than reported. Shared by the CLI and the controller.
 */
export function planHostOf(hostInterface: PlannedHostInterface): PlanHost {
  const interfaces: PlanNic[] = [];
  for (const nic of hostInterface.spec?.interfaces ?? []) {
    const { interfaceName, netAddress, hostIP } = nic;
    if (interfaceName && netAddress && hostIP) interfaces.push({ interfaceName, netAddress, hostIP });
  }
  return { hostName: hostInterface.metadata.name, interfaces };
}
