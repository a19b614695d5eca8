// The plan inputs of a MultiNicNetwork: the part of its spec that cidr-core plans with, and that the CIDR
// resource records as `spec.config`. Shared by the CLI (`multinic plan`) and the controller.
import type { PlanConfig, PlanHost, PlanNic } from '@multinic/cidr-core';
import type { MultiNicNetwork } from './multinicnetwork.js';
import { tryPrefix } from './prefix-math.js';

/**
 * The plan inputs of each pod subnet of a network, the first family first (ADR 0006): one config for `subnet`
 * (host-subnet mode included), one per entry of `subnets` with the entry's blocks (left out: ipam's) and the
 * excludes of its family. masterNets are the same in each (cidr-core's `computeFamilyPlans` names them per family).
 */
export function planConfigsOf(network: MultiNicNetwork): PlanConfig[] {
  const { spec } = network;
  const masterNets = [...(spec.masterNets ?? [])];
  const excludes = spec.ipam.excludeCIDRs ?? [];
  if (spec.subnets !== undefined) {
    return spec.subnets.map((entry) => {
      const family = tryPrefix(entry.cidr)?.family;
      return {
        subnet: entry.cidr,
        interfaceBlock: entry.interfaceBlock ?? spec.ipam.interfaceBlock ?? 0,
        hostBlock: entry.hostBlock ?? spec.ipam.hostBlock ?? 0,
        masterNets,
        excludeCIDRs: excludes.filter((text) => tryPrefix(text)?.family === family),
      };
    });
  }
  const subnet = spec.subnet ?? '';
  // Host-subnet mode without a hostBlock: cidr-core picks one per NIC network (`defaultHostBlock`).
  const hostBlock = spec.ipam.hostBlock ?? (subnet === '' ? undefined : 0);
  return [
    {
      subnet,
      interfaceBlock: spec.ipam.interfaceBlock ?? 0,
      ...(hostBlock === undefined ? {} : { hostBlock }),
      masterNets,
      excludeCIDRs: [...excludes],
    },
  ];
}

/** The plan inputs of a network's first pod subnet: what the CIDR resource records as `config`. */
export function planConfigOf(network: MultiNicNetwork): PlanConfig {
  return planConfigsOf(network)[0] as PlanConfig;
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
      readonly addresses?: readonly string[] | undefined;
    }[];
  };
}

/**
 * The plan inputs of one host: its NICs that have an address, with the gateway the agent discovered (host-subnet
 * mode never hands it out and gives it to the pods) and every address the NIC has (`addresses`, e.g.
 * "fd00:10:1::1/64"), from which cidr-core's `computeFamilyPlans` takes the NIC's address of the family it plans;
 * netAddress and hostIP stay the first family's. A NIC without an address (an SR-IOV PF, a link not yet configured)
 * cannot carry a pod block, so it is left out rather than reported. Shared by the CLI and the controller.
 */
export function planHostOf(hostInterface: PlannedHostInterface): PlanHost {
  const interfaces: PlanNic[] = [];
  for (const nic of hostInterface.spec?.interfaces ?? []) {
    const { interfaceName, netAddress, hostIP, gateway, addresses } = nic;
    if (interfaceName && netAddress && hostIP)
      interfaces.push({
        interfaceName,
        netAddress,
        hostIP,
        ...(gateway ? { gateway } : {}),
        ...(addresses !== undefined && addresses.length > 0 ? { addresses: [...addresses] } : {}),
      });
  }
  return { hostName: hostInterface.metadata.name, interfaces };
}
