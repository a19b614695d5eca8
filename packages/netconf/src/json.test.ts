import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { canonicalJson } from './json.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    const r = canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } });
    expect(r.ok && JSON.stringify(r.value)).toBe('{"a":{"d":[{"y":2,"z":1}]},"b":1}');
  });

  it.each<{ value: unknown; error: string }>`
    value                     | error
    ${{ a: [1, Number.NaN] }} | ${'$.a[1]: NaN is not a JSON number'}
    ${{ f: () => 1 }}         | ${'$.f: a function is not JSON'}
    ${{ n: 1n }}              | ${'$.n: a bigint is not JSON'}
  `('rejects $error', ({ value, error }) => {
    expect(canonicalJson(value)).toEqual({ ok: false, error });
  });

  it('law: equal JSON values give the same text whatever their key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const shuffled = JSON.parse(
          JSON.stringify(value, (_k, v: unknown) =>
            v !== null && typeof v === 'object' && !Array.isArray(v)
              ? Object.fromEntries(Object.entries(v).reverse())
              : v,
          ),
        ) as unknown;
        const a = canonicalJson(value);
        const b = canonicalJson(shuffled);
        expect(a.ok && b.ok && JSON.stringify(a.value) === JSON.stringify(b.value)).toBe(true);
      }),
    );
  });
});
