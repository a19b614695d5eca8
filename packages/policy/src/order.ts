import type { HostNic } from '@multinic/crd-types';

const RUNS = /(\d+)|(\D+)/g;

/**
 * Natural, locale-independent order of interface names: `eth2` < `eth10`, digits compared as numbers,
 * everything else by UTF-16 code unit. Equal numeric runs with different spellings (`eth01`, `eth1`) fall
 * back to plain code-unit order so the order is total.
 */
export function compareInterfaceNames(a: string, b: string): number {
  const left = a.match(RUNS) ?? [];
  const right = b.match(RUNS) ?? [];
  const n = Math.min(left.length, right.length);
  for (let i = 0; i < n; i += 1) {
    const c = compareRun(left[i] ?? '', right[i] ?? '');
    if (c !== 0) return c;
  }
  if (left.length !== right.length) return left.length - right.length;
  return codeUnitCompare(a, b);
}

function compareRun(a: string, b: string): number {
  const aDigits = /^\d/.test(a);
  const bDigits = /^\d/.test(b);
  if (aDigits && bDigits) {
    const x = BigInt(a);
    const y = BigInt(b);
    if (x !== y) return x < y ? -1 : 1;
    return 0;
  }
  return codeUnitCompare(a, b);
}

function codeUnitCompare(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

export function compareNicsByName(a: HostNic, b: HostNic): number {
  return compareInterfaceNames(a.interfaceName, b.interfaceName);
}

/** A copy of `nics` in stable interface-name order. */
export function byName(nics: readonly HostNic[]): HostNic[] {
  return [...nics].sort(compareNicsByName);
}
