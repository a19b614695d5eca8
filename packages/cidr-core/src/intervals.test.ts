import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { IntervalSet } from './intervals.js';

type Op = { kind: 'add' | 'delete'; lo: number; hi: number };

const op = fc
  .record({
    kind: fc.constantFrom('add' as const, 'delete' as const),
    a: fc.integer({ min: 0, max: 60 }),
    b: fc.integer({ min: 0, max: 60 }),
  })
  .map(({ kind, a, b }): Op => ({ kind, lo: Math.min(a, b), hi: Math.max(a, b) }));

describe('IntervalSet', () => {
  it('behaves like a set of values, kept as disjoint non-adjacent sorted intervals', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.integer({ min: 0, max: 64 }), (ops, probe) => {
        const set = new IntervalSet();
        const model = new Set<number>();
        for (const { kind, lo, hi } of ops) {
          if (kind === 'add') set.add(BigInt(lo), BigInt(hi));
          else set.delete(BigInt(lo), BigInt(hi));
          for (let v = lo; v <= hi; v++) {
            if (kind === 'add') model.add(v);
            else model.delete(v);
          }
        }
        expect(set.size()).toBe(BigInt(model.size));
        expect(set.has(BigInt(probe))).toBe(model.has(probe));
        let gap = probe;
        while (model.has(gap)) gap++;
        expect(set.nextGap(BigInt(probe))).toBe(BigInt(gap));
        const intervals = [...set.intervals()];
        intervals.forEach(([lo, hi], i) => {
          expect(lo <= hi).toBe(true);
          const next = intervals[i + 1];
          if (next) expect(next[0] > hi + 1n).toBe(true);
        });
      }),
    );
  });
});
