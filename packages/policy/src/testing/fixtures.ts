import type { HostNic } from '@multinic/crd-types';

/** A host NIC for tests; only the interface name is required, the rest defaults to a plausible 100G NIC. */
export function nic(interfaceName: string, extra: Partial<HostNic> = {}): HostNic {
  return { interfaceName, netAddress: '10.0.0.0/16', hostIP: '10.0.0.1', ...extra };
}

export function names(nics: readonly { interfaceName: string }[]): string[] {
  return nics.map((n) => n.interfaceName);
}
