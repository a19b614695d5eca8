import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { formatPrefix, parseAddress, parsePrefix } from './address.js';
import type { IpAddress, IpPrefix } from './address.js';
import { prefixContains, prefixesOverlap, prefixLast, prefixSize, rangeToPrefixes, subPrefix } from './prefix.js';

function prefix(text: string): IpPrefix {
  const parsed = parsePrefix(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

function address(text: string): IpAddress {
  const parsed = parseAddress(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

describe('subPrefix', () => {
  it.each<{ parent: string; bits: number; index: number; expected: string }>`
    parent               | bits   | index    | expected
    ${'192.168.0.0/16'}  | ${2}   | ${0}     | ${'192.168.0.0/18'}
    ${'192.168.0.0/16'}  | ${2}   | ${1}     | ${'192.168.64.0/18'}
    ${'192.168.64.0/18'} | ${6}   | ${1}     | ${'192.168.65.0/24'}
    ${'10.0.0.0/8'}      | ${0}   | ${0}     | ${'10.0.0.0/8'}
    ${'fd00::/48'}       | ${16}  | ${65535} | ${'fd00:0:0:ffff::/64'}
    ${'::/0'}            | ${128} | ${1}     | ${'::1/128'}
  `('sub-block $index of $parent split by $bits bits is $expected', ({ parent, bits, index, expected }) => {
    const result = subPrefix(prefix(parent), bits, index);
    expect(result.ok && formatPrefix(result.value)).toBe(expected);
  });

  it.each<{ parent: string; bits: number; index: number; mentions: string }>`
    parent              | bits  | index | mentions
    ${'192.168.0.0/16'} | ${2}  | ${4}  | ${'out of range'}
    ${'192.168.0.0/16'} | ${2}  | ${-1} | ${'out of range'}
    ${'192.168.0.0/16'} | ${17} | ${0}  | ${'at most /32'}
  `('refuses index $index of $parent split by $bits', ({ parent, bits, index, mentions }) => {
    const result = subPrefix(prefix(parent), bits, index);
    expect(result.ok ? '' : result.error).toContain(mentions);
    expect(result.ok ? '' : result.code).toBe('OUT_OF_RANGE');
  });

  it('sub-blocks of one split tile the parent without overlap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 26 }), fc.integer({ min: 0, max: 4 }), (length, bits) => {
        const parent = { family: 4 as const, base: 0x0a000000n & ~((1n << BigInt(32 - length)) - 1n), length };
        const blocks = Array.from({ length: 2 ** bits }, (_, i) => subPrefix(parent, bits, i)).map((r) =>
          r.ok ? r.value : parent,
        );
        blocks.forEach((block, i) => {
          expect(prefixContains(parent, block)).toBe(true);
          blocks.slice(i + 1).forEach((other) => expect(prefixesOverlap(block, other)).toBe(false));
        });
        expect(blocks.reduce((n, b) => n + prefixSize(b), 0n)).toBe(prefixSize(parent));
      }),
    );
  });
});

describe('containment and overlap', () => {
  it.each<{ a: string; b: string; aContainsB: boolean; overlap: boolean }>`
    a                | b                | aContainsB | overlap
    ${'10.0.0.0/8'}  | ${'10.1.0.0/16'} | ${true}    | ${true}
    ${'10.1.0.0/16'} | ${'10.0.0.0/8'}  | ${false}   | ${true}
    ${'10.0.0.0/8'}  | ${'11.0.0.0/8'}  | ${false}   | ${false}
    ${'10.0.0.0/8'}  | ${'10.0.0.0/8'}  | ${true}    | ${true}
    ${'fd00::/8'}    | ${'fd12::/16'}   | ${true}    | ${true}
    ${'0.0.0.0/0'}   | ${'::/0'}        | ${false}   | ${false}
  `('$a contains $b: $aContainsB, overlap: $overlap', ({ a, b, aContainsB, overlap }) => {
    expect(prefixContains(prefix(a), prefix(b))).toBe(aContainsB);
    expect(prefixesOverlap(prefix(a), prefix(b))).toBe(overlap);
  });
});

describe('rangeToPrefixes', () => {
  it.each<{ first: string; last: string; expected: string[] }>`
    first         | last                 | expected
    ${'10.0.0.0'} | ${'10.0.0.255'}      | ${['10.0.0.0/24']}
    ${'10.0.0.1'} | ${'10.0.0.6'}        | ${['10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/31', '10.0.0.6/32']}
    ${'0.0.0.0'}  | ${'255.255.255.255'} | ${['0.0.0.0/0']}
    ${'fd00::1'}  | ${'fd00::3'}         | ${['fd00::1/128', 'fd00::2/127']}
  `('$first..$last is $expected', ({ first, last, expected }) => {
    const result = rangeToPrefixes(address(first), address(last));
    expect(result.ok && result.value.map(formatPrefix)).toEqual(expected);
  });

  it('refuses a reversed or mixed-family range', () => {
    expect(rangeToPrefixes(address('10.0.0.2'), address('10.0.0.1')).ok).toBe(false);
    expect(rangeToPrefixes(address('10.0.0.2'), address('::1')).ok).toBe(false);
  });

  it.each([4, 6] as const)('covers exactly the range with aligned, adjacent prefixes (IPv%s)', (family) => {
    const max = family === 4 ? 2n ** 32n - 1n : 2n ** 128n - 1n;
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max }), fc.bigInt({ min: 0n, max }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const result = rangeToPrefixes({ family, value: lo }, { family, value: hi });
        const prefixes = result.ok ? result.value : [];
        let next = lo;
        for (const p of prefixes) {
          expect(p.base).toBe(next);
          next = prefixLast(p).value + 1n;
        }
        expect(next).toBe(hi + 1n);
        expect(prefixes.length).toBeLessThanOrEqual(2 * (family === 4 ? 32 : 128));
      }),
    );
  });
});
