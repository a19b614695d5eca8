import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { formatAddress, formatPrefix, parseAddress, parsePrefix } from './address.js';
import type { IpAddress } from './address.js';
import type { ParseErrorCode } from './codes.js';

const v4 = fc.bigInt({ min: 0n, max: 2n ** 32n - 1n }).map((value): IpAddress => ({ family: 4, value }));
const v6 = fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }).map((value): IpAddress => ({ family: 6, value }));
/** IPv6 values with long zero runs, so "::" placement is exercised. */
const sparseV6 = fc
  .array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 })
  .map((groups): IpAddress => ({ family: 6, value: groups.reduce((v, g) => (v << 16n) | BigInt(g), 0n) }));

describe('parseAddress', () => {
  it.each<{ text: string; family: number; expected: bigint }>`
    text                                         | family | expected
    ${'0.0.0.0'}                                 | ${4}   | ${0n}
    ${'192.168.7.1'}                             | ${4}   | ${0xc0a80701n}
    ${'255.255.255.255'}                         | ${4}   | ${0xffffffffn}
    ${'::'}                                      | ${6}   | ${0n}
    ${'::1'}                                     | ${6}   | ${1n}
    ${'2001:DB8::1'}                             | ${6}   | ${0x20010db8000000000000000000000001n}
    ${'2001:0db8:0000:0000:0000:0000:0000:0001'} | ${6}   | ${0x20010db8000000000000000000000001n}
    ${'::ffff:192.0.2.1'}                        | ${6}   | ${0xffffc0000201n}
    ${'1:2:3:4:5:6:7::'}                         | ${6}   | ${0x00010002000300040005000600070000n}
    ${'::2:3:4:5:6:7:8'}                         | ${6}   | ${0x00000002000300040005000600070008n}
  `('accepts $text', ({ text, family, expected }) => {
    expect(parseAddress(text)).toEqual({ ok: true, value: { family, value: expected } });
  });

  it.each<{ text: string; mentions: string }>`
    text                     | mentions
    ${'192.168.007.1'}       | ${'leading zero'}
    ${'010.0.0.1'}           | ${'leading zero'}
    ${'0xa'}                 | ${'unexpected character "x"'}
    ${'10.1'}                | ${'2 part(s)'}
    ${'1.2.3.4.5'}           | ${'5 part(s)'}
    ${'1.2.3.256'}           | ${'larger than 255'}
    ${'1..2.3'}              | ${'empty'}
    ${' 1.2.3.4'}            | ${'unexpected character " "'}
    ${''}                    | ${'required'}
    ${'1:2:3:4:5:6:7'}       | ${'7 groups'}
    ${'1:2:3:4:5:6:7:8:9'}   | ${'9 groups'}
    ${'1::2::3'}             | ${'only once'}
    ${':::'}                 | ${'only once'}
    ${':1::'}                | ${'empty'}
    ${'1:2:3:4:5:6:7:8::'}   | ${'at most 7'}
    ${'12345::'}             | ${'1-4 hex digits'}
    ${'fe80::1%eth0'}        | ${'zone'}
    ${'::ffff:192.168.07.1'} | ${'leading zero'}
    ${'1.2.3.4::'}           | ${'1-4 hex digits'}
  `('rejects $text', ({ text, mentions }) => {
    const parsed = parseAddress(text);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.error).toContain(mentions);
    expect(parsed.ok ? '' : parsed.code).toBe(text === '' ? 'EMPTY' : 'INVALID_ADDRESS');
  });
});

describe('formatAddress', () => {
  it.each<{ text: string; canonical: string }>`
    text                                         | canonical
    ${'2001:0DB8:0000:0000:0000:0000:0000:0001'} | ${'2001:db8::1'}
    ${'2001:db8:0:1:1:1:1:1'}                    | ${'2001:db8:0:1:1:1:1:1'}
    ${'2001:0:0:1:0:0:0:1'}                      | ${'2001:0:0:1::1'}
    ${'2001:db8:0:0:1:0:0:1'}                    | ${'2001:db8::1:0:0:1'}
    ${'0:0:0:0:0:0:0:0'}                         | ${'::'}
    ${'1:0:0:0:0:0:0:0'}                         | ${'1::'}
    ${'::ffff:c000:0201'}                        | ${'::ffff:192.0.2.1'}
    ${'fd00::'}                                  | ${'fd00::'}
  `('writes $text as $canonical (RFC 5952)', ({ text, canonical }) => {
    const parsed = parseAddress(text);
    expect(parsed.ok && formatAddress(parsed.value)).toBe(canonical);
  });

  it('parse after format is the identity (IPv4 and IPv6)', () => {
    fc.assert(
      fc.property(fc.oneof(v4, v6, sparseV6), (address) => {
        expect(parseAddress(formatAddress(address))).toEqual({ ok: true, value: address });
      }),
    );
  });

  it('agrees with ipaddr.js on IPv6 canonical text (outside ::ffff:0:0/96)', () => {
    fc.assert(
      fc.property(fc.oneof(v6, sparseV6), (address) => {
        fc.pre(address.value >> 32n !== 0xffffn);
        const bytes = Array.from({ length: 16 }, (_, i) => Number((address.value >> BigInt(8 * (15 - i))) & 0xffn));
        expect(formatAddress(address)).toBe(ipaddr.fromByteArray(bytes).toString());
      }),
    );
  });

  it('accepts exactly the strict dotted quads ipaddr.js calls four-part decimal, minus leading zeros', () => {
    const octet = fc.oneof(
      fc.integer({ min: 0, max: 300 }).map(String),
      fc.constantFrom('00', '01', '007', 'a', '0x1', ''),
    );
    fc.assert(
      fc.property(fc.array(octet, { minLength: 3, maxLength: 5 }), (octets) => {
        const text = octets.join('.');
        const strict = ipaddr.IPv4.isValidFourPartDecimal(text) && octets.every((o) => o === '0' || !o.startsWith('0'));
        expect(parseAddress(text).ok).toBe(strict);
      }),
    );
  });
});

describe('parsePrefix', () => {
  it.each<{ text: string; options: { normalize?: boolean }; expected: string }>`
    text             | options                | expected
    ${'10.0.0.0/8'}  | ${{}}                  | ${'10.0.0.0/8'}
    ${'0.0.0.0/0'}   | ${{}}                  | ${'0.0.0.0/0'}
    ${'10.1.2.3/32'} | ${{}}                  | ${'10.1.2.3/32'}
    ${'FD00:0::/64'} | ${{}}                  | ${'fd00::/64'}
    ${'10.0.0.7/24'} | ${{ normalize: true }} | ${'10.0.0.0/24'}
    ${'fd00::1/64'}  | ${{ normalize: true }} | ${'fd00::/64'}
  `('parses $text', ({ text, options, expected }) => {
    const parsed = parsePrefix(text, options);
    expect(parsed.ok && formatPrefix(parsed.value)).toBe(expected);
  });

  it.each<{ text: string; code: ParseErrorCode; mentions: string }>`
    text               | code                       | mentions
    ${'10.0.0.0/33'}   | ${'INVALID_PREFIX_LENGTH'} | ${'invalid prefix length "33"'}
    ${'fd00::/129'}    | ${'INVALID_PREFIX_LENGTH'} | ${'invalid prefix length "129"'}
    ${'10.0.0.0/08'}   | ${'INVALID_PREFIX_LENGTH'} | ${'leading zeros'}
    ${'10.0.0.0/'}     | ${'INVALID_PREFIX_LENGTH'} | ${'invalid prefix length ""'}
    ${'10.0.0.0'}      | ${'NOT_A_PREFIX'}          | ${'address/length'}
    ${'10.0.0.0/8/8'}  | ${'NOT_A_PREFIX'}          | ${'address/length'}
    ${'10.0.0.1/24'}   | ${'HOST_BITS_SET'}         | ${'host bits set: the network is 10.0.0.0/24'}
    ${'fd00::1/64'}    | ${'HOST_BITS_SET'}         | ${'host bits set: the network is fd00::/64'}
    ${'10.0.0.010/32'} | ${'INVALID_ADDRESS'}       | ${'leading zero'}
    ${'/24'}           | ${'INVALID_ADDRESS'}       | ${'an IP address is required'}
    ${''}              | ${'EMPTY'}                 | ${'a CIDR prefix is required'}
  `('rejects $text ($code)', ({ text, code, mentions }) => {
    const parsed = parsePrefix(text);
    expect(parsed.ok ? '' : parsed.error).toContain(mentions);
    expect(parsed.ok ? '' : parsed.code).toBe(code);
  });

  it('parse after format is the identity for prefixes', () => {
    const prefix = fc.oneof(v4, v6).chain((address) =>
      fc.integer({ min: 0, max: address.family === 4 ? 32 : 128 }).map((length) => {
        const bits = BigInt((address.family === 4 ? 32 : 128) - length);
        return { family: address.family, base: (address.value >> bits) << bits, length };
      }),
    );
    fc.assert(
      fc.property(prefix, (p) => {
        expect(parsePrefix(formatPrefix(p))).toEqual({ ok: true, value: p });
      }),
    );
  });
});
