// Differential tests: cidr-core's own bigint math against the two libraries the design card names, used here as
// test oracles only (docs/adr/0005-own-bigint-cidr-math.md says why they are not runtime dependencies).
//   netmask   — IPv4 block math: network address, broadcast, first/last usable host, size, containment.
//   ipaddr.js — address text: parsing, IPv4 text, IPv6 RFC 5952 text, CIDR network/broadcast, containment.
// Each property states a law that holds for every generated input; where the libraries define something
// differently (netmask's first/last are the usable hosts; ipaddr.js writes IPv4-mapped IPv6 in hex; both accept
// text cidr-core refuses on purpose) the law says so instead of skipping the input.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { Netmask, ip2long } from 'netmask';
import { formatAddress, formatPrefix, hostMask, parseAddress, parsePrefix } from './address.js';
import type { IpAddress, IpPrefix } from './address.js';
import { prefixContains, prefixContainsAddress, prefixFirst, prefixLast, prefixOf, prefixSize } from './prefix.js';

const v4 = fc.bigInt({ min: 0n, max: 2n ** 32n - 1n }).map((value): IpAddress => ({ family: 4, value }));
const v6 = fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }).map((value): IpAddress => ({ family: 6, value }));
/** IPv6 values built from groups that are often zero, so "::" placement and ties are exercised. */
const sparseV6 = fc
  .array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 })
  .map((groups): IpAddress => ({ family: 6, value: groups.reduce((v, g) => (v << 16n) | BigInt(g), 0n) }));
/** IPv4-mapped IPv6 (::ffff:0:0/96), where RFC 5952 §5 and ipaddr.js write different text. */
const mappedV6 = v4.map((a): IpAddress => ({ family: 6, value: 0xffff00000000n | a.value }));
/** Prefix lengths 0..32 with the edges (/0, /30, /31, /32) drawn often. */
const v4Length = fc.oneof(fc.integer({ min: 0, max: 32 }), fc.constantFrom(0, 30, 31, 32));
const v4Prefix = fc.tuple(v4, v4Length).map(([address, length]) => prefixOf(address, length));
const v6Prefix = fc
  .tuple(fc.oneof(v6, sparseV6), fc.integer({ min: 0, max: 128 }))
  .map(([address, length]) => prefixOf(address, length));

const v4Text = (value: bigint): string => formatAddress({ family: 4, value });
/** An ipaddr.js address as a bigint (network byte order). */
const valueOf = (parsed: { toByteArray(): number[] }): bigint =>
  parsed.toByteArray().reduce((v, byte) => (v << 8n) | BigInt(byte), 0n);
/** The address ipaddr.js parses from `text`, as a bigint. */
const ipaddrValue = (text: string): bigint => valueOf(ipaddr.parse(text));
/**
 * ipaddr.js reads the deprecated IPv4-compatible form "::a.b.c.d" (RFC 4291 §2.5.5.1: the value a.b.c.d, upper 96
 * bits zero) as the IPv4-mapped ::ffff:a.b.c.d; cidr-core reads the text as RFC 4291 writes it. The value ipaddr.js
 * gives for a text that cidr-core reads as `value`:
 */
const ipaddrReading = (text: string, value: bigint): bigint =>
  /^::(?:\d+\.){3}\d+$/.test(text) ? 0xffff00000000n | value : value;
const bytesOf = (address: IpAddress): number[] => {
  const n = address.family === 4 ? 4 : 16;
  return Array.from({ length: n }, (_, i) => Number((address.value >> BigInt(8 * (n - 1 - i))) & 0xffn));
};

describe('netmask as the oracle of IPv4 block math', () => {
  // netmask's `first`/`last` are the first and last *usable host*: base+1 and broadcast-1 up to /30, while for
  // /31 (RFC 3021 point-to-point) and /32 both ends are usable and `broadcast` is undefined. cidr-core's
  // prefixFirst/prefixLast are the network address and the last address (the broadcast address for IPv4) for
  // every length; excluding the network and broadcast addresses is the allocator's job, not the block's.
  it.each<{ cidr: string; base: string; first: string; last: string; broadcast: string | undefined; size: number }>`
    cidr             | base          | first         | last                 | broadcast            | size
    ${'10.0.0.0/24'} | ${'10.0.0.0'} | ${'10.0.0.1'} | ${'10.0.0.254'}      | ${'10.0.0.255'}      | ${256}
    ${'10.0.0.4/30'} | ${'10.0.0.4'} | ${'10.0.0.5'} | ${'10.0.0.6'}        | ${'10.0.0.7'}        | ${4}
    ${'10.0.0.4/31'} | ${'10.0.0.4'} | ${'10.0.0.4'} | ${'10.0.0.5'}        | ${undefined}         | ${2}
    ${'10.0.0.4/32'} | ${'10.0.0.4'} | ${'10.0.0.4'} | ${'10.0.0.4'}        | ${undefined}         | ${1}
    ${'0.0.0.0/0'}   | ${'0.0.0.0'}  | ${'0.0.0.1'}  | ${'255.255.255.254'} | ${'255.255.255.255'} | ${2 ** 32}
  `('netmask $cidr: first $first, last $last, broadcast $broadcast', ({ cidr, base, first, last, broadcast, size }) => {
    const block = new Netmask(cidr);
    expect({
      base: block.base,
      first: block.first,
      last: block.last,
      broadcast: block.broadcast,
      size: block.size,
    }).toEqual({ base, first, last, broadcast, size });
    const parsed = parsePrefix(cidr);
    expect(parsed.ok && [v4Text(prefixFirst(parsed.value).value), v4Text(prefixLast(parsed.value).value)]).toEqual([
      base,
      broadcast ?? last,
    ]);
  });

  it('agrees on network address, last address, size and mask for every prefix /0../32', () => {
    fc.assert(
      fc.property(v4Prefix, (prefix) => {
        const block = new Netmask(formatPrefix(prefix));
        const first = prefixFirst(prefix).value;
        const last = prefixLast(prefix).value;
        expect(block.base).toBe(v4Text(first));
        expect(block.bitmask).toBe(prefix.length);
        expect(block.size).toBe(Number(prefixSize(prefix)));
        expect(block.mask).toBe(v4Text(~hostMask(4, prefix.length) & 0xffffffffn));
        if (prefix.length <= 30) {
          expect([block.first, block.last, block.broadcast]).toEqual([
            v4Text(first + 1n),
            v4Text(last - 1n),
            v4Text(last),
          ]);
        } else {
          expect([block.first, block.last, block.broadcast]).toEqual([v4Text(first), v4Text(last), undefined]);
        }
      }),
    );
  });

  it('clears host bits exactly as parsePrefix(…, { normalize: true })', () => {
    fc.assert(
      fc.property(v4, v4Length, (address, length) => {
        const text = `${formatAddress(address)}/${length}`;
        const normalized = parsePrefix(text, { normalize: true });
        expect(normalized.ok && formatPrefix(normalized.value)).toBe(new Netmask(text).toString());
      }),
    );
  });

  it('agrees on whether a prefix contains an address and a smaller or larger block', () => {
    fc.assert(
      fc.property(v4Prefix, v4, v4Length, (prefix, address, otherLength) => {
        const block = new Netmask(formatPrefix(prefix));
        expect(block.contains(formatAddress(address))).toBe(prefixContainsAddress(prefix, address));
        // An address drawn inside the block, so the "true" side is exercised as often as the "false" side.
        const inside: IpAddress = { family: 4, value: prefix.base | (address.value & hostMask(4, prefix.length)) };
        expect(block.contains(formatAddress(inside))).toBe(true);
        const other = prefixOf(inside, otherLength);
        expect(block.contains(new Netmask(formatPrefix(other)))).toBe(prefixContains(prefix, other));
      }),
    );
  });

  it('accepts every address cidr-core accepts, with the same value (cidr-core accepts a strict subset)', () => {
    const octet = fc.oneof(
      fc.integer({ min: 0, max: 300 }).map(String),
      fc.constantFrom('00', '01', '007', '08', '0xa', '0x1f', 'a', ''),
    );
    fc.assert(
      fc.property(fc.array(octet, { minLength: 1, maxLength: 5 }), (octets) => {
        const text = octets.join('.');
        const ours = parseAddress(text);
        let theirs: number | undefined;
        try {
          theirs = ip2long(text);
        } catch {
          theirs = undefined;
        }
        if (ours.ok) expect(theirs).toBe(Number(ours.value.value));
        if (theirs === undefined) expect(ours.ok).toBe(false);
      }),
    );
  });

  it.each<{ text: string; netmask: string }>`
    text                 | netmask
    ${'192.168.007.0xa'} | ${'192.168.7.10/32'}
    ${'010.0.0.1'}       | ${'8.0.0.1/32'}
    ${'0xa.0.0.1'}       | ${'10.0.0.1/32'}
    ${'10.1'}            | ${'10.0.0.1/32'}
    ${'10'}              | ${'0.0.0.10/32'}
    ${'10.0.0.0/08'}     | ${'10.0.0.0/8'}
    ${'10.0.0.7/24'}     | ${'10.0.0.0/24'}
  `('netmask reads $text as $netmask; cidr-core refuses it', ({ text, netmask }) => {
    expect(new Netmask(text).toString()).toBe(netmask);
    expect((text.includes('/') ? parsePrefix(text) : parseAddress(text)).ok).toBe(false);
  });

  it('netmask accepts a negative prefix length (-1: a "size" of 2^33); cidr-core refuses it', () => {
    expect([new Netmask('10.0.0.0/-1').bitmask, new Netmask('10.0.0.0/-1').size]).toEqual([-1, 2 ** 33]);
    expect(parsePrefix('10.0.0.0/-1')).toMatchObject({ ok: false, code: 'INVALID_PREFIX_LENGTH' });
  });
});

describe('ipaddr.js as the oracle of address text', () => {
  it('for every dotted quad both agree on the value and the text', () => {
    fc.assert(
      fc.property(v4, (address) => {
        const text = formatAddress(address);
        expect(ipaddr.IPv4.isValidFourPartDecimal(text)).toBe(true);
        expect(ipaddrValue(text)).toBe(address.value);
        expect(ipaddr.fromByteArray(bytesOf(address)).toString()).toBe(text);
      }),
    );
  });

  it('for generated IPv6 both give the same bigint and the same RFC 5952 text (outside ::ffff:0:0/96)', () => {
    fc.assert(
      fc.property(fc.oneof(v6, sparseV6), (address) => {
        fc.pre(address.value >> 32n !== 0xffffn);
        const text = formatAddress(address);
        expect(ipaddrValue(text)).toBe(address.value);
        expect(ipaddr.IPv6.parse(text).toRFC5952String()).toBe(text);
      }),
    );
  });

  it('for IPv4-mapped IPv6 cidr-core writes ::ffff:a.b.c.d (RFC 5952 §5), ipaddr.js hex; both mean the same address', () => {
    fc.assert(
      fc.property(mappedV6, (address) => {
        const text = formatAddress(address);
        const parsed = ipaddr.IPv6.parse(text);
        expect(ipaddrValue(text)).toBe(address.value);
        expect(parsed.isIPv4MappedAddress()).toBe(true);
        expect(`::ffff:${parsed.toIPv4Address().toString()}`).toBe(text);
        expect(parseAddress(parsed.toRFC5952String())).toEqual({ ok: true, value: address });
      }),
    );
  });

  /** Any RFC 4291 text form of an IPv6 value: leading zeros, either case, any run of zero groups as "::", a dotted tail. */
  const v6TextForm = fc
    .record({
      address: sparseV6,
      pad: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 8, maxLength: 8 }),
      upper: fc.boolean(),
      gapPick: fc.nat(),
      dotted: fc.boolean(),
    })
    .map(({ address, pad, upper, gapPick, dotted }) => {
      const groups = Array.from({ length: 8 }, (_, i) => Number((address.value >> BigInt(16 * (7 - i))) & 0xffffn));
      const runs: [number, number][] = [];
      for (let i = 0; i < 8; i++) for (let j = i + 1; j <= 8 && groups[j - 1] === 0; j++) runs.push([i, j]);
      const gap = runs.length === 0 || gapPick % 4 === 0 ? undefined : runs[gapPick % runs.length];
      const hex = groups
        .map((g) => g.toString(16))
        .map((h, i) => h.padStart(Math.min(4, h.length + (pad[i] ?? 0)), '0'));
      const lowBits = Number(address.value & 0xffffffffn);
      const tail = dotted && (gap === undefined || gap[1] <= 6) ? v4Text(BigInt(lowBits)) : undefined;
      const body = tail === undefined ? hex : [...hex.slice(0, 6), tail];
      const text =
        gap === undefined ? body.join(':') : `${body.slice(0, gap[0]).join(':')}::${body.slice(gap[1]).join(':')}`;
      return { address, text: upper ? text.toUpperCase() : text };
    });

  it('for any RFC 4291 text form of an IPv6 address both parse the same bigint and agree on its RFC 5952 text', () => {
    fc.assert(
      fc.property(v6TextForm, ({ address, text }) => {
        const ours = parseAddress(text);
        expect(ours).toEqual({ ok: true, value: address });
        const theirs = ipaddrValue(text);
        expect(theirs).toBe(ipaddrReading(text, address.value));
        if (theirs === address.value && address.value >> 32n !== 0xffffn)
          expect(ipaddr.IPv6.parse(text).toRFC5952String()).toBe(formatAddress(address));
      }),
    );
  });

  it.each<{ text: string; ours: string; theirs: string }>`
    text             | ours            | theirs
    ${'::192.0.2.1'} | ${'::c000:201'} | ${'::ffff:c000:201'}
    ${'::0.1.0.0'}   | ${'::1:0'}      | ${'::ffff:1:0'}
  `(
    'the deprecated IPv4-compatible $text: cidr-core reads $ours (RFC 4291), ipaddr.js $theirs',
    ({ text, ours, theirs }) => {
      const parsed = parseAddress(text);
      expect(parsed.ok && formatAddress(parsed.value)).toBe(ours);
      expect(ipaddr.IPv6.parse(text).toRFC5952String()).toBe(theirs);
    },
  );

  it('accepts nothing ipaddr.js rejects, and on what both accept they agree on the value', () => {
    const piece = fc.constantFrom(
      '0',
      '1',
      '00',
      'ff',
      'FFFF',
      '0db8',
      '12345',
      'g',
      '',
      '1.2.3.4',
      '01.2.3.4',
      '256.1.1.1',
      '192.0.2.1',
      '%eth0',
    );
    const separator = fc.constantFrom(':', ':', ':', '::', '.');
    fc.assert(
      fc.property(fc.array(fc.tuple(piece, separator), { minLength: 1, maxLength: 9 }), piece, (parts, end) => {
        const text = parts.map(([p, s]) => p + s).join('') + end;
        const ours = parseAddress(text);
        if (!ipaddr.isValid(text)) expect(ours.ok).toBe(false);
        if (ours.ok) expect(ipaddrValue(text)).toBe(ipaddrReading(text, ours.value.value));
      }),
    );
  });

  /** ipaddr.js's containment test (`match`), which refuses to compare families: different families never match. */
  const ipaddrMatches = (prefix: IpPrefix, address: IpAddress): boolean => {
    if (address.family !== prefix.family) return false;
    const [a, base] = [formatAddress(address), formatAddress(prefixFirst(prefix))];
    return prefix.family === 4
      ? ipaddr.IPv4.parse(a).match(ipaddr.IPv4.parse(base), prefix.length)
      : ipaddr.IPv6.parse(a).match(ipaddr.IPv6.parse(base), prefix.length);
  };

  it('agrees on CIDR text, network and broadcast addresses and containment (IPv4 and IPv6)', () => {
    fc.assert(
      fc.property(fc.oneof(v4Prefix, v6Prefix), fc.oneof(v4, v6, sparseV6), (prefix, address) => {
        const text = formatPrefix(prefix);
        const [base, length] = ipaddr.parseCIDR(text);
        expect([valueOf(base), length]).toEqual([prefix.base, prefix.length]);
        const family = prefix.family === 4 ? ipaddr.IPv4 : ipaddr.IPv6;
        expect(valueOf(family.networkAddressFromCIDR(text))).toBe(prefixFirst(prefix).value);
        expect(valueOf(family.broadcastAddressFromCIDR(text))).toBe(prefixLast(prefix).value);
        expect(ipaddrMatches(prefix, address)).toBe(prefixContainsAddress(prefix, address));
        const inside: IpAddress = {
          family: prefix.family,
          value: prefix.base | (address.value & hostMask(prefix.family, prefix.length)),
        };
        expect(ipaddrMatches(prefix, inside)).toBe(true);
      }),
    );
  });

  it.each<{ text: string }>`
    text
    ${'192.168.007.0xa'}
    ${'010.0.0.1'}
    ${'10.1'}
    ${'fe80::1%eth0'}
    ${'::ffff:192.168.07.1'}
  `('ipaddr.js parses $text; cidr-core refuses it', ({ text }) => {
    expect(ipaddr.isValid(text)).toBe(true);
    expect(parseAddress(text).ok).toBe(false);
  });
});
