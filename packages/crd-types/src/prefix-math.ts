// The little prefix arithmetic that cross-field validation needs, on top of cidr-core's strict parsing.
import { parseAddress, parsePrefix } from '@multinic/cidr-core';
import type { IpAddress, IpPrefix } from '@multinic/cidr-core';

export function addressBits(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

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

export function prefixContainsAddress(prefix: IpPrefix, address: IpAddress): boolean {
  if (prefix.family !== address.family) return false;
  const shift = BigInt(addressBits(prefix.family) - prefix.length);
  return address.value >> shift === prefix.base >> shift;
}

export function prefixContainsPrefix(outer: IpPrefix, inner: IpPrefix): boolean {
  return outer.family === inner.family && inner.length >= outer.length && prefixContainsAddress(outer, { family: inner.family, value: inner.base });
}
