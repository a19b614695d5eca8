import { formatAddress, formatPrefix, parseAddress, parsePrefix } from '@multinic/cidr-core';
import type { IpAddress, IpPrefix, Result } from '@multinic/cidr-core';

/** True when `prefix` contains `address` (same family, same network bits). */
export function contains(prefix: IpPrefix, address: IpAddress): boolean {
  if (prefix.family !== address.family) return false;
  const shift = BigInt((prefix.family === 4 ? 32 : 128) - prefix.length);
  return address.value >> shift === prefix.base >> shift;
}

/** Parses an address, prefixing the error with the field it came from. */
export function address(text: string, field: string): Result<IpAddress> {
  const parsed = parseAddress(text);
  return parsed.ok ? parsed : { ok: false, error: `${field}: ${parsed.error}` };
}

/** Parses a network prefix (host bits must be zero), prefixing the error with the field it came from. */
export function prefix(text: string, field: string): Result<IpPrefix> {
  const parsed = parsePrefix(text);
  return parsed.ok ? parsed : { ok: false, error: `${field}: ${parsed.error}` };
}

export function formatIp(a: IpAddress): string {
  return formatAddress(a);
}

export function formatNet(p: IpPrefix): string {
  return formatPrefix(p);
}

/** `0.0.0.0/0` or `::/0`. */
export function defaultDestination(family: 4 | 6): string {
  return family === 4 ? '0.0.0.0/0' : '::/0';
}

/** `192.168.0.1/32` or `fd00::1/128`: a single-address prefix. */
export function hostPrefix(a: IpAddress): string {
  return `${formatAddress(a)}/${a.family === 4 ? 32 : 128}`;
}
