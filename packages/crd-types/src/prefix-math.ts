// Parse-or-undefined wrappers over cidr-core's strict parsing, for cross-field validation (the arithmetic is cidr-core's).
import { parseAddress, parsePrefix } from '@multinic/cidr-core';
import type { IpAddress, IpPrefix } from '@multinic/cidr-core';

export function tryPrefix(text: string): IpPrefix | undefined {
  const r = parsePrefix(text);
  return r.ok ? r.value : undefined;
}

/** Parses `a.b.c.d/len` allowing host bits: the address and the prefix length. */
export function tryInterfaceAddress(text: string): { address: IpAddress; length: number } | undefined {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return undefined;
  const address = parseAddress(text.slice(0, slash));
  const prefix = parsePrefix(text, { normalize: true });
  if (!address.ok || !prefix.ok) return undefined;
  return { address: address.value, length: prefix.value.length };
}

export function tryAddress(text: string): IpAddress | undefined {
  const r = parseAddress(text);
  return r.ok ? r.value : undefined;
}
