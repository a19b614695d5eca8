import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { nic } from '../testing/fixtures.js';
import { cheapestSet } from './cost.js';

/** Compares two speed lists sorted descending: fewer NICs, then smaller sum, then lexicographically smaller. */
function better(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return a.length < b.length;
  const sa = a.reduce((x, y) => x + y, 0);
  const sb = b.reduce((x, y) => x + y, 0);
  if (sa !== sb) return sa < sb;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return (a[i] ?? 0) < (b[i] ?? 0);
  return false;
}

/** Every subset, the best by the documented tie-breaks (as a descending speed list). */
function bruteForce(speeds: number[], target: number): number[] | undefined {
  let best: number[] | undefined;
  for (let mask = 1; mask < 1 << speeds.length; mask += 1) {
    const subset = speeds.filter((_, i) => (mask >> i) & 1).sort((x, y) => y - x);
    if (subset.reduce((x, y) => x + y, 0) < target) continue;
    if (best === undefined || better(subset, best)) best = subset;
  }
  return best;
}

describe('cheapestSet', () => {
  it('matches an exhaustive search over every subset', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(1, 10, 25, 40, 50, 100, 200, 400), { minLength: 0, maxLength: 9 }),
        fc.integer({ min: 1, max: 900 }),
        (speeds, target) => {
          const nics = speeds.map((s, i) => nic(`eth${i}`, { speedMbps: s }));
          const chosen = cheapestSet(nics, target, []);
          const expected = bruteForce(speeds, target);
          expect(chosen?.map((n) => n.speedMbps)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stays fast on a host with many NICs of many speeds', () => {
    // 32 NICs, 16 distinct speeds: the grouped, pruned search must finish (no timing assertion, only completion).
    const nics = Array.from({ length: 32 }, (_, i) => nic(`eth${i}`, { speedMbps: 1000 * (1 + (i % 16)) }));
    const chosen = cheapestSet(nics, 100_000, []);
    expect(chosen?.length).toBe(7);
    expect(chosen?.reduce((s, n) => s + (n.speedMbps ?? 0), 0)).toBe(100_000);
  });
});
