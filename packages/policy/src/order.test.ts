import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { compareInterfaceNames } from './order.js';

describe('compareInterfaceNames', () => {
  it.each<{ names: string[]; sorted: string[] }>`
    names                              | sorted
    ${['eth10', 'eth2', 'eth1']}       | ${['eth1', 'eth2', 'eth10']}
    ${['ens3f1', 'ens3f0', 'ens10f0']} | ${['ens3f0', 'ens3f1', 'ens10f0']}
    ${['eth1', 'eth01', 'eth']}        | ${['eth', 'eth01', 'eth1']}
    ${['net1', 'eth1', 'bond0']}       | ${['bond0', 'eth1', 'net1']}
  `('sorts $names as $sorted', ({ names, sorted }) => {
    expect([...names].sort(compareInterfaceNames)).toEqual(sorted);
  });

  const name = fc.stringMatching(/^[a-z]{0,3}[0-9]{0,3}[a-z]{0,2}[0-9]{0,2}$/);

  it('is a total order: antisymmetric, and zero only for equal strings', () => {
    fc.assert(
      fc.property(name, name, (a, b) => {
        const ab = Math.sign(compareInterfaceNames(a, b));
        expect(ab).toBe(-Math.sign(compareInterfaceNames(b, a)));
        expect(ab === 0).toBe(a === b);
      }),
    );
  });

  it('is transitive', () => {
    fc.assert(
      fc.property(name, name, name, (a, b, c) => {
        const [x, y, z] = [a, b, c].sort(compareInterfaceNames) as [string, string, string];
        expect(compareInterfaceNames(x, z)).toBeLessThanOrEqual(0);
        expect(compareInterfaceNames(x, y)).toBeLessThanOrEqual(0);
        expect(compareInterfaceNames(y, z)).toBeLessThanOrEqual(0);
      }),
    );
  });
});
