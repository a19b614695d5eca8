// The plan inputs of a MultiNicNetwork: the part of its spec that cidr-core plans with, and that the CIDR
// resource records as `spec.config`. Shared by the CLI (`multinic plan`) and the controller.
import type { PlanConfig } from '@multinic/cidr-core';
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
