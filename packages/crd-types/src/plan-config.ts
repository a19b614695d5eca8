// The plan inputs of a MultiNicNetwork: the part of its spec that cidr-core plans with, and that the CIDR
// resource records as `spec.config`. Shared by the CLI (`multinic plan`) and the controller.
import type { PlanConfig, PlanHost, PlanNic } from '@multinic/cidr-core';
import type { MultiNicNetwork } from './multinicnetwork.js';

/** The plan inputs of a network: what cidr-core needs and what the CIDR resource records as `config`. */
export function planConfigOf(network: MultiNicNetwork): PlanConfig {
  const { spec } = network;
  const subnet = spec.subnet ?? '';
  // Host-subnet mode without a hostBlock: cidr-core picks one per NIC network (`defaultHostBlock`).
  const hostBlock = spec.ipam.hostBlock ?? (subnet === '' ? undefined : 0);
  return {
    subnet,
    interfaceBlock: spec.ipam.interfaceBlock ?? 0,
    ...(hostBlock === undefined ? {} : { hostBlock }),
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
      readonly gateway?: string | undefined;
    }[];
  };
}

/**
 * The plan inputs of one host: its NICs that have an address, with the gateway the agent discovered (host-subnet
 * mode never hands it out and gives it to the pods). A NIC without an address (an SR-IOV PF, a link not yet
 * configured) cannot carry a pod block, so it is left out rather than reported. Shared by the CLI and the controller.
 */
export function planHostOf(hostInterface: PlannedHostInterface): PlanHost {
  const interfaces: PlanNic[] = [];
  for (const nic of hostInterface.spec?.interfaces ?? []) {
    const { interfaceName, netAddress, hostIP, gateway } = nic;
    if (interfaceName && netAddress && hostIP)
      interfaces.push({ interfaceName, netAddress, hostIP, ...(gateway ? { gateway } : {}) });
  }
  return { hostName: hostInterface.metadata.name, interfaces };
}
