import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CniResultSchema } from '@multinic/crd-types';
import type { Allocation } from '@multinic/crd-types';
import { CniFailure } from '@multinic/cni-skel';
import { ipamResult, parseIpamConf } from './ipam.js';
import { compareWithPrevResult } from './verbs.js';

const alloc = (i: number, extra: Partial<Allocation> = {}): Allocation => ({
  interfaceName: `eth${i + 1}`,
  podInterface: `net1-${i}`,
  address: `192.168.${i * 64}.9/18`,
  podCIDR: `192.168.${i * 64}.0/24`,
  vlanCIDR: `192.168.${i * 64}.0/18`,
  ippool: `pool-${i}`,
  ...extra,
});

function thrown(fn: () => unknown): CniFailure {
  try {
    fn();
  } catch (err) {
    if (err instanceof CniFailure) return err;
    throw err;
  }
  throw new Error('expected a CniFailure');
}

describe('parseIpamConf', () => {
  it.each([
    {
      name: 'defaults',
      config: { ipam: { type: 'multi-nic-ipam' } },
      expected: { network: 'net-a', agentSocket: '/run/multinic/agent.sock' },
    },
    {
      name: 'ipam.network and ipam.agentSocket',
      config: { ipam: { type: 'multi-nic-ipam', network: 'multinic-ipvlanl3', agentSocket: '/tmp/a.sock' } },
      expected: { network: 'multinic-ipvlanl3', agentSocket: '/tmp/a.sock' },
    },
    {
      name: 'top-level agentSocket',
      config: { agentSocket: '/tmp/b.sock', ipam: { type: 'multi-nic-ipam' } },
      expected: { network: 'net-a', agentSocket: '/tmp/b.sock' },
    },
    {
      name: "the main plugin's master",
      config: { master: 'eth2', ipam: { type: 'multi-nic-ipam' } },
      expected: { network: 'net-a', agentSocket: '/run/multinic/agent.sock', master: 'eth2' },
    },
  ])('$name', ({ config, expected }) => {
    expect(parseIpamConf(config, 'net-a')).toEqual(expected);
  });

  it.each([
    { name: 'no ipam', config: {}, msg: 'ipam must be an object with "type": "multi-nic-ipam"' },
    {
      name: 'another IPAM type',
      config: { ipam: { type: 'host-local' } },
      msg: 'ipam.type must be "multi-nic-ipam", not "host-local"',
    },
    {
      name: 'network not a string',
      config: { ipam: { type: 'multi-nic-ipam', network: 3 } },
      msg: 'ipam.network must be a string, not 3',
    },
  ])('$name → code 7', ({ config, msg }) => {
    const err = thrown(() => parseIpamConf(config, 'net-a'));
    expect(err.code).toBe(7);
    expect(err.message).toBe(msg);
  });
});

describe('ipamResult', () => {
  it('one address per allocation in NIC order, gateways kept, routes merged without duplicates', () => {
    const result = ipamResult([
      alloc(0, { gateway: '192.168.0.1', routes: [{ dst: '10.0.0.0/8', gw: '192.168.0.1' }] }),
      alloc(1, { routes: [{ dst: '10.0.0.0/8', gw: '192.168.0.1' }, { dst: '172.16.0.0/12' }] }),
    ]);
    expect(result).toEqual({
      cniVersion: '1.1.0',
      ips: [{ address: '192.168.0.9/18', gateway: '192.168.0.1' }, { address: '192.168.64.9/18' }],
      routes: [{ dst: '10.0.0.0/8', gw: '192.168.0.1' }, { dst: '172.16.0.0/12' }],
    });
  });

  it('a dual-stack allocation gives both addresses, the other family right after the first', () => {
    const other = { address: 'fd00:1::9/64', podCIDR: 'fd00:1::/120', vlanCIDR: 'fd00:1::/64', ippool: 'p6' };
    const result = ipamResult([
      alloc(0, { gateway: '192.168.0.1', otherFamily: { ...other, gateway: 'fd00:1::1' } }),
      alloc(1),
    ]);
    expect(result.ips).toEqual([
      { address: '192.168.0.9/18', gateway: '192.168.0.1' },
      { address: 'fd00:1::9/64', gateway: 'fd00:1::1' },
      { address: '192.168.64.9/18' },
    ]);
  });

  it('is always a valid CNI result with no interface references', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), (n) => {
        const result = ipamResult(Array.from({ length: n }, (_, i) => alloc(i)));
        expect(CniResultSchema.safeParse(result).success).toBe(true);
        expect(result.ips?.every((ip) => ip.interface === undefined)).toBe(true);
        expect(result.ips).toHaveLength(n);
      }),
    );
  });
});

describe('compareWithPrevResult', () => {
  const prev = { cniVersion: '1.0.0' as const, ips: [{ address: '192.168.0.9/18' }, { address: '192.168.64.9/18' }] };

  it('accepts the same addresses', () => {
    expect(() => compareWithPrevResult([alloc(0), alloc(1)], prev)).not.toThrow();
  });

  it.each([
    {
      name: 'an address the agent no longer holds',
      held: [alloc(0)],
      msg: 'in prevResult but not held by the agent: 192.168.64.9',
    },
    {
      name: 'an address prevResult lacks',
      held: [alloc(0), alloc(1), alloc(2)],
      msg: 'held by the agent but not in prevResult: 192.168.128.9',
    },
    {
      name: "a dual-stack NIC's other family prevResult lacks",
      held: [
        alloc(0, {
          otherFamily: { address: 'fd00:1::9/64', podCIDR: 'fd00:1::/120', vlanCIDR: 'fd00:1::/64', ippool: 'p6' },
        }),
        alloc(1),
      ],
      msg: 'held by the agent but not in prevResult: fd00:1::9',
    },
  ])('$name → failure', ({ held, msg }) => {
    expect(thrown(() => compareWithPrevResult(held, prev)).message).toContain(msg);
  });
});
