import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it.each([
    { baseMs: 0, maxMs: 10 },
    { baseMs: 10, maxMs: 5 },
    { baseMs: Number.NaN, maxMs: 5 },
  ])('rejects baseMs $baseMs, maxMs $maxMs', ({ baseMs, maxMs }) => {
    expect(() => new Backoff({ baseMs, maxMs })).toThrow(RangeError);
  });

  it('delays are base·2^n, never above the cap, and never decrease', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.nat(2_000),
        (baseMs, extra, n) => {
          const maxMs = baseMs + extra;
          const backoff = new Backoff<string>({ baseMs, maxMs });
          const delay = backoff.delay(n);
          expect(delay).toBe(Math.min(maxMs, baseMs * 2 ** n));
          expect(delay).toBeLessThanOrEqual(maxMs);
          expect(backoff.delay(n + 1)).toBeGreaterThanOrEqual(delay);
        },
      ),
    );
  });

  it('keys back off independently', () => {
    const backoff = new Backoff<string>({ baseMs: 10, maxMs: 1_000 });
    expect([backoff.next('a'), backoff.next('a'), backoff.next('b'), backoff.next('a')]).toEqual([10, 20, 10, 40]);
  });
});
