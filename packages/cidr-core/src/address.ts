// Strict parsing and canonical formatting of IPv4 and IPv6 addresses and prefixes on bigint.
// One representation for both families: a family tag and an unsigned integer value.
import type { ParseErrorCode } from './codes.js';
import { err, ok } from './result.js';
import type { Result } from './result.js';

export type Family = 4 | 6;

/** An IP address: `value` is the address as an unsigned integer of 32 (IPv4) or 128 (IPv6) bits. */
export interface IpAddress {
  readonly family: Family;
  readonly value: bigint;
}

/** A CIDR prefix: `base` is the network address (no host bits set), `length` the prefix length. */
export interface IpPrefix {
  readonly family: Family;
  readonly base: bigint;
  readonly length: number;
}

export interface ParsePrefixOptions {
  /** Clear host bits instead of rejecting them (`10.0.0.7/24` becomes `10.0.0.0/24`). */
  readonly normalize?: boolean;
}

/** Number of address bits of a family: 32 or 128. */
export function familyBits(family: Family): number {
  return family === 4 ? 32 : 128;
}

const MASKS: Record<Family, bigint[]> = { 4: buildMasks(32), 6: buildMasks(128) };

function buildMasks(bits: number): bigint[] {
  const masks: bigint[] = [];
  for (let length = 0; length <= bits; length++) masks.push((1n << BigInt(bits - length)) - 1n);
  return masks;
}

/** The host-bit mask of a prefix length: the bits that vary inside the block (`0xff` for an IPv4 /24). */
export function hostMask(family: Family, length: number): bigint {
  const mask = MASKS[family][length];
  if (mask === undefined) throw new RangeError(`prefix length ${length} is out of range for IPv${family}`);
  return mask;
}

// ---------------------------------------------------------------------------------------------
// IPv4

/** Parses strict dotted-quad IPv4 into a number, or returns -1 (the caller explains why). Internal. */
export function scanV4(text: string): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      dots++;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      digits++;
      if (octet > 255) return -1;
    } else {
      return -1;
    }
  }
  if (digits === 0 || dots !== 3) return -1;
  return value * 256 + octet;
}

function explainV4(text: string): string {
  const bad = /[^0-9.]/.exec(text);
  if (bad) return `unexpected character "${bad[0]}": IPv4 is four decimal octets like 192.168.0.1 (no hex, no octal)`;
  const parts = text.split('.');
  if (parts.length !== 4)
    return `it has ${parts.length} part(s); IPv4 needs exactly four decimal octets like 192.168.0.1`;
  for (const part of parts) {
    if (part === '') return 'an octet is empty';
    if (part.length > 1 && part.startsWith('0')) {
      return `octet "${part}" has a leading zero (ambiguous: octal in some parsers); write ${String(Number(part))}`;
    }
    if (Number(part) > 255) return `octet ${part} is larger than 255`;
  }
  return 'it is not four decimal octets';
}

/** Dotted-quad text of a 32-bit number. Internal. */
export function formatV4(value: number): string {
  return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

// ---------------------------------------------------------------------------------------------
// IPv6

function isHexGroup(group: string): boolean {
  if (group.length === 0 || group.length > 4) return false;
  for (let i = 0; i < group.length; i++) {
    const c = group.charCodeAt(i) | 0x20;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** Colon-separated groups as 4-digit hex; the last one may be an embedded dotted IPv4 (two groups). */
function scanGroups(part: string, allowV4: boolean): string[] | string {
  if (part === '') return [];
  const texts = part.split(':');
  const groups: string[] = [];
  for (let i = 0; i < texts.length; i++) {
    const group = texts[i] ?? '';
    if (allowV4 && i === texts.length - 1 && group.includes('.')) {
      const v4 = scanV4(group);
      if (v4 < 0) return `embedded IPv4 "${group}" is invalid: ${explainV4(group)}`;
      const hex = v4.toString(16).padStart(8, '0');
      groups.push(hex.slice(0, 4), hex.slice(4));
    } else if (isHexGroup(group)) {
      groups.push(group.padStart(4, '0'));
    } else {
      return group === ''
        ? 'a group is empty (a single ":" at the start or end, or ":::")'
        : `group "${group}" is not 1-4 hex digits`;
    }
  }
  return groups;
}

function scanV6(text: string): bigint | string {
  if (text.includes('%')) return 'zone indexes ("%eth0") are not allowed here';
  const gap = text.indexOf('::');
  if (gap !== -1 && text.indexOf('::', gap + 1) !== -1) return '"::" may appear only once';
  const head = scanGroups(gap === -1 ? text : text.slice(0, gap), gap === -1);
  if (typeof head === 'string') return head;
  const tail = gap === -1 ? [] : scanGroups(text.slice(gap + 2), true);
  if (typeof tail === 'string') return tail;
  const count = head.length + tail.length;
  if (gap === -1 && count !== 8) return `it has ${count} groups; IPv6 needs 8 (or "::" for a run of zeros)`;
  if (gap !== -1 && count > 7) return `it has ${count} groups besides "::"; at most 7 are possible`;
  return BigInt(`0x${head.join('')}${'0000'.repeat(8 - count)}${tail.join('')}`);
}

/** The eight groups of an IPv6 value as lower-case hex without leading zeros ("0" for zero). */
function v6Groups(hex: string): string[] {
  const groups: string[] = [];
  for (let i = 0; i < 32; i += 4) {
    let j = i;
    while (j < i + 3 && hex.charCodeAt(j) === 48) j++;
    groups.push(hex.slice(j, i + 4));
  }
  return groups;
}

/** The longest run of at least two zero groups (the first one on a tie), as [start, length]. */
function longestZeroRun(groups: readonly string[]): [number, number] {
  let best: [number, number] = [-1, 0];
  let start = -1;
  for (let i = 0; i <= groups.length; i++) {
    if (i < groups.length && groups[i] === '0') {
      if (start < 0) start = i;
    } else if (start >= 0) {
      if (i - start > best[1] && i - start >= 2) best = [start, i - start];
      start = -1;
    }
  }
  return best;
}

const MAPPED_V4_HEX = '00000000000000000000ffff';

/** RFC 5952: lower case, no leading zeros, the longest zero run as "::", IPv4-mapped as ::ffff:a.b.c.d. */
function formatV6(value: bigint): string {
  const hex = value.toString(16).padStart(32, '0');
  if (hex.startsWith(MAPPED_V4_HEX)) return `::ffff:${formatV4(parseInt(hex.slice(24), 16))}`;
  const groups = v6Groups(hex);
  const [start, length] = longestZeroRun(groups);
  if (start < 0) return groups.join(':');
  return `${groups.slice(0, start).join(':')}::${groups.slice(start + length).join(':')}`;
}

// ---------------------------------------------------------------------------------------------
// Public API

/**
 * Parses an IPv4 or IPv6 address strictly: IPv4 is exactly four decimal octets without leading zeros
 * (`192.168.007.1`, `0xa`, `10.1` are errors); IPv6 follows RFC 4291 text forms without a zone index.
 */
export function parseAddress(text: string): Result<IpAddress, ParseErrorCode> {
  if (typeof text !== 'string' || text === '') return err('EMPTY', 'an IP address is required (got an empty value)');
  if (text.includes(':')) {
    const value = scanV6(text);
    return typeof value === 'string'
      ? err('INVALID_ADDRESS', `"${text}" is not a valid IPv6 address: ${value}`)
      : ok({ family: 6, value });
  }
  const value = scanV4(text);
  if (value < 0) return err('INVALID_ADDRESS', `"${text}" is not a valid IPv4 address: ${explainV4(text)}`);
  return ok({ family: 4, value: BigInt(value) });
}

/** Canonical text: dotted quad for IPv4, RFC 5952 for IPv6. */
export function formatAddress(address: IpAddress): string {
  return address.family === 4 ? formatV4(Number(address.value)) : formatV6(address.value);
}

const PREFIX_LENGTH = /^(?:0|[1-9][0-9]{0,2})$/;

/**
 * Parses `address/length` strictly. A prefix with host bits set (`10.0.0.1/24`) is an error unless
 * `normalize` is set, in which case the host bits are cleared.
 */
export function parsePrefix(text: string, options: ParsePrefixOptions = {}): Result<IpPrefix, ParseErrorCode> {
  if (typeof text !== 'string' || text === '') return err('EMPTY', 'a CIDR prefix is required (got an empty value)');
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) {
    return err('NOT_A_PREFIX', `"${text}" is not a CIDR prefix: write address/length, e.g. 10.0.0.0/24 or fd00::/64`);
  }
  const address = parseAddress(text.slice(0, slash));
  if (!address.ok)
    return err(
      address.code === 'EMPTY' ? 'INVALID_ADDRESS' : address.code,
      `"${text}" is not a valid CIDR prefix: ${address.error}`,
    );
  const { family, value } = address.value;
  const lengthText = text.slice(slash + 1);
  const length = Number(lengthText);
  if (!PREFIX_LENGTH.test(lengthText) || length > familyBits(family)) {
    return err(
      'INVALID_PREFIX_LENGTH',
      `"${text}" has an invalid prefix length "${lengthText}": use 0 to ${familyBits(family)} without leading zeros`,
    );
  }
  const mask = hostMask(family, length);
  if ((value & mask) !== 0n && options.normalize !== true) {
    const network = formatPrefix({ family, base: value & ~mask, length });
    return err(
      'HOST_BITS_SET',
      `"${text}" has host bits set: the network is ${network} (write that, or ask to normalise)`,
    );
  }
  return ok({ family, base: value & ~mask, length });
}

/** Canonical `address/length` text. */
export function formatPrefix(prefix: IpPrefix): string {
  return `${formatAddress({ family: prefix.family, value: prefix.base })}/${prefix.length}`;
}
