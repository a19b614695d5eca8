// Block arithmetic on prefixes: sizes, bounds, the n-th sub-block, containment, overlap, range <-> prefixes.
import { familyBits, formatPrefix, hostMask } from './address.js';
import type { Family, IpAddress, IpPrefix } from './address.js';
import type { PrefixErrorCode } from './codes.js';
import { err, ok } from './result.js';
import type { Result } from './result.js';

/** An inclusive range of addresses of one family. */
export interface AddressRange {
  readonly first: IpAddress;
  readonly last: IpAddress;
}

/** Number of addresses in a prefix. */
export function prefixSize(prefix: IpPrefix): bigint {
  return hostMask(prefix.family, prefix.length) + 1n;
}

/** The first (network) address of a prefix. */
export function prefixFirst(prefix: IpPrefix): IpAddress {
  return { family: prefix.family, value: prefix.base };
}

/** The last address of a prefix (the broadcast address for IPv4). */
export function prefixLast(prefix: IpPrefix): IpAddress {
  return { family: prefix.family, value: prefix.base | hostMask(prefix.family, prefix.length) };
}

/** The prefix of the given length that contains an address (host bits cleared). */
export function prefixOf(address: IpAddress, length: number): IpPrefix {
  return { family: address.family, base: address.value & ~hostMask(address.family, length), length };
}

/** True when the address lies in the prefix. */
export function prefixContainsAddress(prefix: IpPrefix, address: IpAddress): boolean {
  return prefix.family === address.family && (address.value & ~hostMask(prefix.family, prefix.length)) === prefix.base;
}

/** True when `inner` lies entirely in `outer` (a prefix contains itself). */
export function prefixContains(outer: IpPrefix, inner: IpPrefix): boolean {
  return (
    outer.family === inner.family &&
    inner.length >= outer.length &&
    (inner.base & ~hostMask(outer.family, outer.length)) === outer.base
  );
}

/** True when two prefixes share at least one address (aligned prefixes either nest or are disjoint). */
export function prefixesOverlap(a: IpPrefix, b: IpPrefix): boolean {
  return prefixContains(a, b) || prefixContains(b, a);
}

/** Orders addresses: IPv4 before IPv6, then by value. */
export function compareAddresses(a: IpAddress, b: IpAddress): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** Orders prefixes: IPv4 before IPv6, then by base, then shorter (larger) first. */
export function comparePrefixes(a: IpPrefix, b: IpPrefix): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.base !== b.base) return a.base < b.base ? -1 : 1;
  return a.length - b.length;
}

/** Unchecked n-th sub-block: callers guarantee `0 <= index < 2^extraBits` and that the length fits. */
export function nthSubPrefix(parent: IpPrefix, extraBits: number, index: bigint): IpPrefix {
  const length = parent.length + extraBits;
  return { family: parent.family, base: parent.base + (index << BigInt(familyBits(parent.family) - length)), length };
}

/**
 * The `index`-th sub-block of `extraBits` more prefix bits under `parent`:
 * `subPrefix(192.168.0.0/16, 2, 1)` is `192.168.64.0/18`.
 */
export function subPrefix(
  parent: IpPrefix,
  extraBits: number,
  index: number | bigint,
): Result<IpPrefix, Extract<PrefixErrorCode, 'OUT_OF_RANGE'>> {
  const bits = familyBits(parent.family);
  if (!Number.isInteger(extraBits) || extraBits < 0 || parent.length + extraBits > bits) {
    return err(
      'OUT_OF_RANGE',
      `cannot split ${formatPrefix(parent)} by ${extraBits} more bits: the result must be at most /${bits}`,
    );
  }
  const n = BigInt(index);
  const count = 1n << BigInt(extraBits);
  if (n < 0n || n >= count) {
    return err(
      'OUT_OF_RANGE',
      `sub-block index ${n} is out of range for ${formatPrefix(parent)} split by ${extraBits} bits (0..${count - 1n})`,
    );
  }
  return ok(nthSubPrefix(parent, extraBits, n));
}

/** Index of the sub-block of `extraBits` more bits under `parent` that contains `value` (which must lie in parent). */
export function subPrefixIndex(parent: IpPrefix, extraBits: number, value: bigint): bigint {
  return (value - parent.base) >> BigInt(familyBits(parent.family) - parent.length - extraBits);
}

function trailingZeroBits(value: bigint, max: number): number {
  let n = 0;
  while (n < max && ((value >> BigInt(n)) & 1n) === 0n) n++;
  return n;
}

/** The shortest list of prefixes that covers exactly the inclusive range `first..last`, in address order. */
export function rangeToPrefixes(
  first: IpAddress,
  last: IpAddress,
): Result<IpPrefix[], Extract<PrefixErrorCode, 'FAMILY_MISMATCH' | 'INVALID_RANGE'>> {
  if (first.family !== last.family) return err('FAMILY_MISMATCH', 'a range needs both ends in the same address family');
  if (first.value > last.value) return err('INVALID_RANGE', 'a range must not end before it starts');
  const family: Family = first.family;
  const bits = familyBits(family);
  const prefixes: IpPrefix[] = [];
  let start = first.value;
  while (start <= last.value) {
    let size = trailingZeroBits(start, bits);
    while (size > 0 && start + (1n << BigInt(size)) - 1n > last.value) size--;
    prefixes.push({ family, base: start, length: bits - size });
    start += 1n << BigInt(size);
  }
  return ok(prefixes);
}

/** The inclusive address range a prefix spans. */
export function prefixToRange(prefix: IpPrefix): AddressRange {
  return { first: prefixFirst(prefix), last: prefixLast(prefix) };
}
