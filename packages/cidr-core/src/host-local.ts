// Ranges for the reference `host-local` IPAM plugin, from a planned pool or from explicit settings.
import { formatAddress, formatPrefix, parseAddress, parsePrefix } from './address.js';
import type { IpAddress, IpPrefix } from './address.js';
import { IntervalSet } from './intervals.js';
import { prefixContainsAddress, prefixLast } from './prefix.js';
import type { HostLocalErrorCode } from './codes.js';
import { err, ok } from './result.js';
import type { Result } from './result.js';

/** One host-local range: the fields of an entry of host-local's `ranges`. */
export interface HostLocalRange {
  subnet: string;
  rangeStart: string;
  rangeEnd: string;
  gateway?: string;
}

export interface HostLocalRangeResult extends HostLocalRange {
  /**
   * The same addresses split around excludes, as a host-local range set (`"ranges": [rangeSet]`).
   * One element when nothing is excluded.
   */
  rangeSet: HostLocalRange[];
}

/** Range settings; every field is optional at each level and falls back to the level above. */
export interface RangeSettings {
  subnet?: string;
  rangeStart?: string;
  rangeEnd?: string;
  gateway?: string;
}

export interface HostRangeSettings extends RangeSettings {
  interfaces?: Readonly<Record<string, RangeSettings>>;
}

/**
 * Explicit settings: defaults, overridden per host, overridden per host interface. A level that sets its own
 * `subnet` does not inherit range fields from the levels above it.
 */
export interface HostLocalSettings {
  defaults?: RangeSettings;
  hosts?: Readonly<Record<string, HostRangeSettings>>;
}

export type HostLocalRangeInput =
  | {
      /** A planned pool (an IPPoolPlan, or a plan host entry with its vlanCIDR): addresses of podCIDR, subnet vlanCIDR. */
      readonly pool: { readonly podCIDR: string; readonly vlanCIDR: string; readonly excludes?: readonly string[] };
      readonly gateway?: string;
    }
  | { readonly hostName: string; readonly interfaceName: string; readonly settings: HostLocalSettings };

interface Resolved {
  readonly subnet: IpPrefix;
  readonly start: bigint;
  readonly end: bigint;
  readonly gateway: IpAddress | undefined;
  readonly excludes: readonly IpPrefix[];
}

function usableBounds(prefix: IpPrefix): [bigint, bigint] {
  const last = prefixLast(prefix).value;
  return [prefix.base + 1n, prefix.family === 4 ? last - 1n : last];
}

function parseInside(
  field: string,
  text: string | undefined,
  subnet: IpPrefix,
): Result<IpAddress | undefined, HostLocalErrorCode> {
  if (text === undefined || text === '') return ok(undefined);
  const parsed = parseAddress(text);
  if (!parsed.ok) return err(parsed.code, `${field}: ${parsed.error}`);
  const [first, last] = usableBounds(subnet);
  if (!prefixContainsAddress(subnet, parsed.value) || parsed.value.value < first || parsed.value.value > last) {
    return err('NOT_USABLE', `${field} ${text} is not a usable address of subnet ${formatPrefix(subnet)}`);
  }
  return ok(parsed.value);
}

function fromPool(input: Extract<HostLocalRangeInput, { pool: unknown }>): Result<Resolved, HostLocalErrorCode> {
  const subnet = parsePrefix(input.pool.vlanCIDR);
  if (!subnet.ok) return err(subnet.code, `vlanCIDR: ${subnet.error}`);
  const pod = parsePrefix(input.pool.podCIDR);
  if (!pod.ok) return err(pod.code, `podCIDR: ${pod.error}`);
  if (
    pod.value.family !== subnet.value.family ||
    pod.value.length < subnet.value.length ||
    !prefixContainsAddress(subnet.value, { family: pod.value.family, value: pod.value.base })
  ) {
    return err('NOT_INSIDE', `podCIDR ${input.pool.podCIDR} is not inside vlanCIDR ${input.pool.vlanCIDR}`);
  }
  const gateway = parseInside('gateway', input.gateway, subnet.value);
  if (!gateway.ok) return gateway;
  const excludes: IpPrefix[] = [];
  for (const [i, text] of (input.pool.excludes ?? []).entries()) {
    const exclude = parsePrefix(text);
    if (!exclude.ok) return err(exclude.code, `excludes[${i}]: ${exclude.error}`);
    excludes.push(exclude.value);
  }
  const [start, end] = usableBounds(pod.value);
  if (start > end) return err('NO_USABLE_ADDRESS', `podCIDR ${input.pool.podCIDR} has no usable address`);
  return ok({ subnet: subnet.value, start, end, gateway: gateway.value, excludes });
}

/**
 * Interface settings over host settings over defaults. The most specific level that names a subnet starts
 * afresh: range fields of less specific levels belong to another subnet and are ignored.
 */
function mergeSettings(input: Extract<HostLocalRangeInput, { settings: unknown }>): RangeSettings {
  const host = input.settings.hosts?.[input.hostName];
  const levels = [host?.interfaces?.[input.interfaceName], host, input.settings.defaults];
  const owner = levels.findIndex((level) => level?.subnet !== undefined);
  const relevant = owner < 0 ? levels : levels.slice(0, owner + 1);
  const merged: RangeSettings = {};
  for (const key of ['subnet', 'rangeStart', 'rangeEnd', 'gateway'] as const) {
    const value = relevant.find((level) => level?.[key] !== undefined)?.[key];
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

function fromSettings(
  input: Extract<HostLocalRangeInput, { settings: unknown }>,
): Result<Resolved, HostLocalErrorCode> {
  const where = `host ${input.hostName} interface ${input.interfaceName}`;
  const settings = mergeSettings(input);
  if (settings.subnet === undefined) {
    return err(
      'NO_SUBNET',
      `${where} has no subnet: set defaults.subnet, hosts.${input.hostName}.subnet or hosts.${input.hostName}.interfaces.${input.interfaceName}.subnet`,
    );
  }
  const subnet = parsePrefix(settings.subnet);
  if (!subnet.ok) return err(subnet.code, `${where}: subnet ${subnet.error}`);
  const start = parseInside(`${where}: rangeStart`, settings.rangeStart, subnet.value);
  const end = parseInside(`${where}: rangeEnd`, settings.rangeEnd, subnet.value);
  const gateway = parseInside(`${where}: gateway`, settings.gateway, subnet.value);
  for (const r of [start, end, gateway]) if (!r.ok) return r;
  const [first, last] = usableBounds(subnet.value);
  if (first > last) return err('NO_USABLE_ADDRESS', `${where}: subnet ${settings.subnet} has no usable address`);
  const value = (r: Result<IpAddress | undefined, HostLocalErrorCode>): IpAddress | undefined =>
    r.ok ? r.value : undefined;
  const resolved = {
    subnet: subnet.value,
    start: value(start)?.value ?? first,
    end: value(end)?.value ?? last,
    gateway: value(gateway),
    excludes: [],
  };
  if (resolved.start > resolved.end)
    return err(
      'RANGE_INVERTED',
      `${where}: rangeStart ${settings.rangeStart ?? ''} is after rangeEnd ${settings.rangeEnd ?? ''}`,
    );
  return ok(resolved);
}

function toRange(resolved: Resolved, lo: bigint, hi: bigint): HostLocalRange {
  const family = resolved.subnet.family;
  const range: HostLocalRange = {
    subnet: formatPrefix(resolved.subnet),
    rangeStart: formatAddress({ family, value: lo }),
    rangeEnd: formatAddress({ family, value: hi }),
  };
  if (resolved.gateway !== undefined) range.gateway = formatAddress(resolved.gateway);
  return range;
}

function render(resolved: Resolved): Result<HostLocalRangeResult, HostLocalErrorCode> {
  const free = new IntervalSet();
  free.add(resolved.start, resolved.end);
  for (const exclude of resolved.excludes) free.delete(exclude.base, prefixLast(exclude).value);
  const rangeSet = [...free.intervals()].map(([lo, hi]) => toRange(resolved, lo, hi));
  if (rangeSet.length === 0)
    return err('ALL_EXCLUDED', `every address of ${formatPrefix(resolved.subnet)} in the range is excluded`);
  return ok({ ...toRange(resolved, resolved.start, resolved.end), rangeSet });
}

/**
 * The `subnet`, `rangeStart`, `rangeEnd` and `gateway` the reference host-local IPAM plugin needs for one
 * host interface: from a planned pool (addresses of its podCIDR, prefix length of its vlanCIDR) or from
 * explicit settings (interface over host over defaults; rangeStart/rangeEnd default to the first and last
 * usable address of the subnet, no gateway unless set).
 */
export function hostLocalRange(input: HostLocalRangeInput): Result<HostLocalRangeResult, HostLocalErrorCode> {
  const resolved = 'pool' in input ? fromPool(input) : fromSettings(input);
  return resolved.ok ? render(resolved.value) : resolved;
}
