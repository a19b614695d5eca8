import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { networkConflicts, type NetworkClaim } from './conflicts.js';

function claim(name: string, subnet: string, masterNets: string[], extra: Partial<NetworkClaim> = {}): NetworkClaim {
  return { name, subnet, masterNets, inUse: false, createdAt: '2026-01-01T00:00:00Z', ...extra };
}

describe('networkConflicts', () => {
  it.each([
    {
      case: 'the issue: a /17 inside a /16 on the same master network',
      claims: [
        claim('demo', '172.30.0.0/16', ['10.10.1.0/24'], { inUse: true }),
        claim('second', '172.30.0.0/17', ['10.10.1.0/24']),
      ],
      refused: { second: 'demo' },
    },
    {
      case: 'overlapping subnets on different master networks are separate L2 domains',
      claims: [claim('a', '172.30.0.0/16', ['10.10.1.0/24']), claim('b', '172.30.0.0/16', ['10.10.2.0/24'])],
      refused: {},
    },
    {
      case: 'disjoint subnets on the same master network',
      claims: [claim('a', '172.30.0.0/16', ['10.10.1.0/24']), claim('b', '172.31.0.0/16', ['10.10.1.0/24'])],
      refused: {},
    },
    {
      case: 'no masterNets means every NIC network, so it shares with anyone',
      claims: [
        claim('a', '172.30.0.0/16', []),
        claim('b', '172.30.128.0/17', ['10.10.2.0/24'], { createdAt: '2026-02-01T00:00:00Z' }),
      ],
      refused: { b: 'a' },
    },
    {
      case: 'the network in use keeps its addresses over an older one that is not',
      claims: [
        claim('old', '172.30.0.0/16', ['10.10.1.0/24']),
        claim('used', '172.30.0.0/24', ['10.10.1.0/24'], { inUse: true, createdAt: '2026-05-01T00:00:00Z' }),
      ],
      refused: { old: 'used' },
    },
    {
      case: 'between equals the older wins, then the name',
      claims: [
        claim('b', '10.0.0.0/8', ['192.168.0.0/24'], { createdAt: '2026-03-01T00:00:00Z' }),
        claim('a', '10.0.0.0/8', ['192.168.0.0/24'], { createdAt: '2026-03-01T00:00:00Z' }),
        claim('c', '10.1.0.0/16', ['192.168.0.0/24'], { createdAt: '2026-02-01T00:00:00Z' }),
      ],
      refused: { a: 'c', b: 'c' },
    },
    {
      case: 'a refused network blocks no one',
      claims: [
        claim('a', '10.0.0.0/16', ['192.168.0.0/24'], { createdAt: '2026-01-01T00:00:00Z' }),
        claim('b', '10.0.0.0/8', ['192.168.0.0/24'], { createdAt: '2026-02-01T00:00:00Z' }),
        claim('c', '10.1.0.0/16', ['192.168.0.0/24'], { createdAt: '2026-03-01T00:00:00Z' }),
      ],
      refused: { b: 'a' },
    },
    {
      case: 'host-subnet mode on a master network collides with host-subnet mode on it',
      claims: [
        claim('a', '', ['10.10.1.0/24']),
        claim('b', '', ['10.10.1.0/24', '10.10.2.0/24'], { createdAt: '2026-02-01T00:00:00Z' }),
      ],
      refused: { b: 'a' },
    },
    {
      case: 'host-subnet mode everywhere collides with host-subnet mode on one master network',
      claims: [claim('a', '', ['10.10.1.0/24']), claim('b', '', [], { createdAt: '2026-02-01T00:00:00Z' })],
      refused: { b: 'a' },
    },
    {
      case: 'two host-subnet networks on every NIC network',
      claims: [claim('a', '', []), claim('b', '', [], { createdAt: '2026-02-01T00:00:00Z' })],
      refused: { b: 'a' },
    },
    {
      case: 'host-subnet mode and a pod subnet on the same master network take different addresses',
      claims: [claim('a', '', ['10.10.1.0/24']), claim('b', '172.30.0.0/16', ['10.10.1.0/24'])],
      refused: {},
    },
    {
      case: 'IPv6 subnets overlap like IPv4 ones; the families never collide',
      claims: [
        claim('a', 'fd00::/48', ['10.10.1.0/24']),
        claim('b', 'fd00:0:0:1::/64', ['10.10.1.0/24'], { createdAt: '2026-02-01T00:00:00Z' }),
        claim('c', '172.30.0.0/16', ['10.10.1.0/24']),
      ],
      refused: { b: 'a' },
    },
    {
      case: 'an unreadable claim is left to the spec validation',
      claims: [claim('a', '172.30.0.0/16', ['10.10.1.0/24']), claim('b', 'not-a-cidr', ['10.10.1.0/24'])],
      refused: {},
    },
  ])('$case', ({ claims, refused }) => {
    const result = networkConflicts(claims);
    expect(Object.fromEntries([...result].map(([name, c]) => [name, c.with]))).toEqual(refused);
  });

  it('says what overlaps where, who keeps it, and what to do', () => {
    const result = networkConflicts([
      claim('demo', '172.30.0.0/16', ['10.10.1.0/24'], { inUse: true }),
      claim('second', '172.30.0.0/17', ['10.10.1.0/24']),
    ]);
    const conflict = result.get('second');
    expect(conflict).toEqual({
      network: 'second',
      with: 'demo',
      ranges: ['172.30.0.0/17', '172.30.0.0/16'],
      masterNet: '10.10.1.0/24',
      message: expect.stringMatching(
        /^pod range 172\.30\.0\.0\/17 overlaps 172\.30\.0\.0\/16 of MultiNicNetwork demo on master network 10\.10\.1\.0\/24.*demo keeps them \(it is in use\): choose a subnet that does not overlap, or other masterNets$/,
      ),
    });
  });

  const arbClaims = fc.uniqueArray(
    fc.record({
      name: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
      subnet: fc.oneof(
        fc.constant(''),
        fc
          .integer({ min: 0, max: 3 })
          .chain((n) => fc.constantFrom(`10.${n}.0.0/16`, `10.${n}.128.0/17`, '10.0.0.0/8', 'fd00::/48')),
      ),
      masterNets: fc.subarray(['192.168.0.0/24', '192.168.1.0/24', '192.168.0.0/23']),
      inUse: fc.boolean(),
      createdAt: fc.constantFrom('2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'),
    }),
    { selector: (c) => c.name, maxLength: 6 },
  );

  it('property: the answer does not depend on the order of the claims', () => {
    fc.assert(
      fc.property(arbClaims, fc.func(fc.integer()), (claims, key) => {
        const shuffled = [...claims].sort((x, y) => key(x.name) - key(y.name));
        expect([...networkConflicts(shuffled)].sort()).toEqual([...networkConflicts(claims)].sort());
      }),
    );
  });

  it('property: admitted networks are pairwise free of conflicts, and every refused one collides with an admitted one', () => {
    fc.assert(
      fc.property(arbClaims, (claims) => {
        const refused = networkConflicts(claims);
        const admitted = claims.filter((c) => !refused.has(c.name));
        for (const x of admitted) for (const y of admitted) if (x !== y) expect(networkConflicts([x, y]).size).toBe(0);
        for (const [name, conflict] of refused) {
          expect(admitted.map((c) => c.name)).toContain(conflict.with);
          const self = claims.find((c) => c.name === name);
          const winner = claims.find((c) => c.name === conflict.with);
          if (self === undefined || winner === undefined) throw new Error('unknown claim');
          expect(networkConflicts([self, winner]).get(name)?.with).toBe(conflict.with);
          if (self.inUse) expect(winner.inUse).toBe(true);
        }
      }),
    );
  });
});
