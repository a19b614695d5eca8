import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { formatAddress, parseAddress, parsePrefix } from './address.js';
import type { IpAddress, IpPrefix } from './address.js';
import { RangeAllocator } from './allocator.js';
import type { AllocateSpecificErrorCode } from './codes.js';
import { prefixLast } from './prefix.js';

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

function drain(allocator: RangeAllocator, max = 100): string[] {
  const out: string[] = [];
  for (let i = 0; i < max; i++) {
    const next = allocator.allocate();
    if (!next.ok) break;
    out.push(formatAddress(next.value));
  }
  return out;
}

describe('RangeAllocator', () => {
  it.each<{ block: string; excludes: string[]; expected: string[] }>`
    block            | excludes                          | expected
    ${'10.0.0.0/30'} | ${[]}                             | ${['10.0.0.1', '10.0.0.2']}
    ${'10.0.0.0/29'} | ${['10.0.0.2/31', '10.0.0.5/32']} | ${['10.0.0.1', '10.0.0.4', '10.0.0.6']}
    ${'10.0.0.0/31'} | ${[]}                             | ${[]}
    ${'10.0.0.0/32'} | ${[]}                             | ${[]}
    ${'fd00::/126'}  | ${[]}                             | ${['fd00::1', 'fd00::2', 'fd00::3']}
    ${'fd00::/127'}  | ${[]}                             | ${['fd00::1']}
    ${'fd00::/125'}  | ${['fd00::/126']}                 | ${['fd00::4', 'fd00::5', 'fd00::6', 'fd00::7']}
  `(
    'hands out $expected from $block excluding $excludes, never the network or IPv4 broadcast',
    ({ block, excludes, expected }) => {
      const allocator = new RangeAllocator({ block: prefix(block), excludes: excludes.map(prefix) });
      expect(drain(allocator)).toEqual(expected);
      const exhausted = allocator.allocate();
      expect(exhausted.ok ? '' : exhausted.error).toContain('exhausted');
      expect(exhausted.ok ? '' : exhausted.code).toBe('EXHAUSTED');
    },
  );

  it('continues after the last one handed out and wraps to the lowest free address', () => {
    const allocator = new RangeAllocator({ block: prefix('10.0.0.0/29') });
    expect(drain(allocator, 3)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(allocator.release(address('10.0.0.1'))).toBe(true);
    expect(drain(allocator, 3)).toEqual(['10.0.0.4', '10.0.0.5', '10.0.0.6']);
    expect(drain(allocator, 1)).toEqual(['10.0.0.1']);
    expect(drain(allocator, 1)).toEqual([]);
  });

  it('resumes after lastAllocated', () => {
    const allocator = new RangeAllocator({ block: prefix('10.0.0.0/29'), lastAllocated: address('10.0.0.4') });
    expect(drain(allocator, 3)).toEqual(['10.0.0.5', '10.0.0.6', '10.0.0.1']);
  });

  it.each<{ request: string; code: AllocateSpecificErrorCode; mentions: string }>`
    request         | code                   | mentions
    ${'10.0.1.1'}   | ${'OUT_OF_BLOCK'}      | ${'not in pool 10.0.0.0/24'}
    ${'10.0.0.0'}   | ${'NETWORK_ADDRESS'}   | ${'network address'}
    ${'10.0.0.255'} | ${'BROADCAST_ADDRESS'} | ${'broadcast address'}
    ${'10.0.0.20'}  | ${'RESERVED'}          | ${'excluded or reserved'}
    ${'10.0.0.9'}   | ${'ALREADY_ALLOCATED'} | ${'already allocated'}
    ${'fd00::1'}    | ${'OUT_OF_BLOCK'}      | ${'not in pool'}
  `('refuses to hand out $request ($code)', ({ request, code, mentions }) => {
    const allocator = new RangeAllocator({ block: prefix('10.0.0.0/24'), excludes: [prefix('10.0.0.16/28')] });
    expect(allocator.allocateSpecific(address('10.0.0.9')).ok).toBe(true);
    const result = allocator.allocateSpecific(address(request));
    expect(result.ok ? '' : result.error).toContain(mentions);
    expect(result.ok ? '' : result.code).toBe(code);
  });

  it('reserves ranges (clipped to the block) and keeps existing allocations until released', () => {
    const allocator = new RangeAllocator({ block: prefix('10.0.0.0/29') });
    expect(allocator.allocateSpecific(address('10.0.0.3')).ok).toBe(true);
    const reserved = allocator.reserve({ first: address('10.0.0.2'), last: address('10.0.0.40') });
    expect(reserved.ok && [formatAddress(reserved.value.first), formatAddress(reserved.value.last)]).toEqual([
      '10.0.0.2',
      '10.0.0.7',
    ]);
    expect(allocator.isAllocated(address('10.0.0.3'))).toBe(true);
    expect(drain(allocator)).toEqual(['10.0.0.1']);
    expect(allocator.release(address('10.0.0.3'))).toBe(true);
    expect(allocator.release(address('10.0.0.3'))).toBe(false);
    expect(drain(allocator)).toEqual([]);
    expect(allocator.reserve(prefix('10.1.0.0/16')).ok).toBe(false);
    expect(allocator.reserve(prefix('fd00::/64')).ok).toBe(false);
  });

  it('works on a /8 and a /64 without expanding them', () => {
    const v4 = new RangeAllocator({ block: prefix('10.0.0.0/8') });
    expect(v4.allocateSpecific(address('10.255.255.254')).ok).toBe(true);
    expect(v4.reserve({ first: address('10.0.0.1'), last: address('10.255.255.253') }).ok).toBe(true);
    expect(drain(v4)).toEqual([]);
    const v6 = new RangeAllocator({ block: prefix('fd00::/64') });
    expect(v6.reserve({ first: address('fd00::1'), last: address('fd00::ffff:ffff:ffff:fffe') }).ok).toBe(true);
    expect(drain(v6)).toEqual(['fd00::ffff:ffff:ffff:ffff']);
  });

  it('iterates allocations in address order', () => {
    const allocator = new RangeAllocator({ block: prefix('10.0.0.0/24') });
    for (const text of ['10.0.0.9', '10.0.0.3', '10.0.0.4']) allocator.allocateSpecific(address(text));
    expect([...allocator.allocations()].map(formatAddress)).toEqual(['10.0.0.3', '10.0.0.4', '10.0.0.9']);
    expect([...allocator.allocatedRanges()].map((r) => `${formatAddress(r.first)}-${formatAddress(r.last)}`)).toEqual([
      '10.0.0.3-10.0.0.4',
      '10.0.0.9-10.0.0.9',
    ]);
    expect(allocator.allocatedCount).toBe(3n);
  });

  it('builds from an IPPool and explains bad input', () => {
    const pool = RangeAllocator.fromPool({ podCIDR: '192.168.0.0/30', excludes: ['192.168.0.1/32'] });
    expect(pool.ok && drain(pool.value)).toEqual(['192.168.0.2']);
    const bad = RangeAllocator.fromPool({ podCIDR: '192.168.0.1/30' });
    expect(bad.ok ? '' : bad.error).toContain('podCIDR');
    expect(bad.ok ? '' : bad.code).toBe('HOST_BITS_SET');
  });

  type Step =
    | { kind: 'allocate' }
    | { kind: 'specific' | 'release'; offset: number }
    | { kind: 'reserve'; offset: number; count: number };
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 4, arbitrary: fc.constant({ kind: 'allocate' as const }) },
    fc.record({ kind: fc.constant('specific' as const), offset: fc.integer({ min: 0, max: 40 }) }),
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('release' as const), offset: fc.integer({ min: 0, max: 40 }) }),
    },
    fc.record({
      kind: fc.constant('reserve' as const),
      offset: fc.integer({ min: 0, max: 40 }),
      count: fc.integer({ min: 1, max: 4 }),
    }),
  );

  it.each(['10.20.30.0/27', 'fd00:1::/123'])(
    'never hands out an address twice, nor a reserved, network or broadcast one (%s)',
    (text) => {
      const block = prefix(text);
      const last = prefixLast(block).value;
      fc.assert(
        fc.property(
          fc.subarray([prefix('10.20.30.0/30'), prefix('10.20.30.16/29'), prefix('fd00:1::8/126')]),
          fc.array(step, { maxLength: 80 }),
          (excludes, steps) => {
            const allocator = new RangeAllocator({ block, excludes });
            const held = new Set<bigint>();
            const reserved = new Set<bigint>();
            for (const e of excludes)
              if (e.family === block.family) for (let v = e.base; v <= prefixLast(e).value; v++) reserved.add(v);
            for (const s of steps) {
              if (s.kind === 'reserve') {
                const first = block.base + BigInt(s.offset);
                allocator.reserve({
                  first: { family: block.family, value: first },
                  last: { family: block.family, value: first + BigInt(s.count - 1) },
                });
                for (let v = first; v < first + BigInt(s.count) && v <= last; v++) reserved.add(v);
                continue;
              }
              if (s.kind === 'release') {
                const value = block.base + BigInt(s.offset);
                expect(allocator.release({ family: block.family, value })).toBe(held.delete(value));
                continue;
              }
              const result =
                s.kind === 'allocate'
                  ? allocator.allocate()
                  : allocator.allocateSpecific({ family: block.family, value: block.base + BigInt(s.offset) });
              if (!result.ok) continue;
              const value = result.value.value;
              expect(held.has(value)).toBe(false);
              expect(reserved.has(value)).toBe(false);
              expect(value).not.toBe(block.base);
              if (block.family === 4) expect(value).not.toBe(last);
              expect(value >= block.base && value <= last).toBe(true);
              held.add(value);
            }
            expect([...allocator.allocations()].map((a) => a.value)).toEqual(
              [...held].sort((a, b) => (a < b ? -1 : 1)),
            );
          },
        ),
      );
    },
  );

  it('allocate() fails only when no usable address is left', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 26, max: 30 }),
        fc.array(fc.integer({ min: 0, max: 63 }), { maxLength: 20 }),
        (length, taken) => {
          const block = { family: 4 as const, base: 0x0a000000n, length };
          const allocator = new RangeAllocator({ block });
          const size = 2 ** (32 - length);
          for (const t of taken) allocator.allocateSpecific({ family: 4, value: block.base + BigInt(t % size) });
          const before = Number(allocator.allocatedCount);
          const handed = drain(allocator, 1000).length;
          expect(before + handed).toBe(size - 2);
        },
      ),
    );
  });
});
