// Which NIC networks a host NIC is on (ADR 0006): its netAddress and the network of every address discovery
// reported, so a MultiNicNetwork's masterNets may name a NIC by an IPv4 or an IPv6 subnet.
import { formatPrefix, parsePrefix } from '@multinic/cidr-core';

/** What matching reads of a HostInterface NIC (parsed, or as the API server stored it). */
export interface NicAddressing {
  readonly netAddress?: string | undefined;
  /** Every global address of the NIC with its prefix length (`10.0.1.5/24`, `fd00:1::5/64`). */
  readonly addresses?: readonly string[] | undefined;
}

const canonical = (text: string, normalize: boolean): string | undefined => {
  const parsed = parsePrefix(text, { normalize });
  return parsed.ok ? formatPrefix(parsed.value) : undefined;
};

/**
 * The NIC's networks in canonical text: netAddress first, then the network of each of its addresses, without
 * repeats; text that does not parse is left out.
 */
export function nicNetworks(nic: NicAddressing): string[] {
  const out: string[] = [];
  const texts = [
    ...(nic.netAddress === undefined || nic.netAddress === '' ? [] : [{ text: nic.netAddress, normalize: false }]),
    ...(nic.addresses ?? []).map((text) => ({ text, normalize: true })),
  ];
  for (const { text, normalize } of texts) {
    const network = canonical(text, normalize);
    if (network !== undefined && !out.includes(network)) out.push(network);
  }
  return out;
}

/**
 * The position in `masterNets` of the first entry that names one of the NIC's networks (by value: `fd00:1:0::/64`
 * names `fd00:1::/64`), or -1 when none does.
 */
export function masterNetIndex(masterNets: readonly string[], nic: NicAddressing): number {
  const networks = nicNetworks(nic);
  return masterNets.findIndex((entry) => {
    const network = canonical(entry, false);
    return network !== undefined && networks.includes(network);
  });
}
