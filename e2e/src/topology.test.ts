import { describe, expect, it } from '@jest/globals';
import { DEMO_NETWORKS, describeTopology, hostNics, ipv6HostAddress, makeTopology } from './topology.js';

describe('makeTopology', () => {
  it('by default gives each host eth1 on 10.10.1.0/24 and eth2 on 10.10.2.0/24 at .<index>, and fd10:10:<n>::<index> beside (the e2e tests’ topology)', () => {
    const t = makeTopology({ hosts: 2 });
    expect(t.networks.map((n) => [n.cidr, n.ipv6, n.bridge, n.nicsPerHost])).toEqual([
      ['10.10.1.0/24', 'fd10:10:1::/64', 'br1', 1],
      ['10.10.2.0/24', 'fd10:10:2::/64', 'br2', 1],
    ]);
    const nic = (name: string, n: number, i: number) => ({
      name,
      network: `10.10.${n}.0/24`,
      address: `10.10.${n}.${i}/24`,
      network6: `fd10:10:${n}::/64`,
      address6: `fd10:10:${n}::${i}/64`,
    });
    expect(t.hosts).toEqual([
      [nic('eth1', 1, 1), nic('eth2', 2, 1)],
      [nic('eth1', 1, 2), nic('eth2', 2, 2)],
    ]);
    expect(describeTopology(t)[1]).toBe(
      '  and fd10:10:1::/64 on the same NICs (host-1 fd10:10:1::1; host-2 fd10:10:1::2)',
    );
  });

  it.each`
    prefix                | offset | address
    ${'fd10:10:1::/64'}   | ${1}   | ${'fd10:10:1::1/64'}
    ${'fd10:10:3::/64'}   | ${101} | ${'fd10:10:3::101/64'}
    ${'fd00:1:2:3::/120'} | ${99}  | ${'fd00:1:2:3::99/120'}
  `('ipv6HostAddress($prefix, $offset) is $address', ({ prefix, offset, address }) => {
    expect(ipv6HostAddress(prefix as string, offset as number)).toBe(address);
  });

  it.each`
    prefix                | offset | message
    ${'fd00:1:2:3::/120'} | ${100} | ${'no host address 100 on fd00:1:2:3::/120'}
    ${'10.0.0.0/8'}       | ${1}   | ${'not an IPv6 prefix: 10.0.0.0/8'}
  `('ipv6HostAddress($prefix, $offset) throws', ({ prefix, offset, message }) => {
    expect(() => ipv6HostAddress(prefix as string, offset as number)).toThrow(message as string);
  });

  it('gives a network with two NICs per host distinct addresses, and names NICs in network order', () => {
    const t = makeTopology({ hosts: 3, networks: DEMO_NETWORKS });
    expect(t.hosts[2]?.map((n) => `${n.name} ${n.address}`)).toEqual([
      'eth1 10.10.1.3/24',
      'eth2 10.10.2.3/24',
      'eth3 10.10.3.3/24',
      'eth4 10.10.3.103/24',
    ]);
    const all = t.hosts.flat().map((n) => n.address);
    expect(new Set(all).size).toBe(all.length);
    expect(t.hosts[2]?.map((n) => n.address6)).toEqual(['fd10:10:1::3/64', 'fd10:10:2::3/64', undefined, undefined]);
    expect(describeTopology(t)[4]).toBe(
      '10.10.3.0/24 (br3): eth3, eth4 on each host (host-1 10.10.3.1, 10.10.3.101; host-2 10.10.3.2, 10.10.3.102; host-3 10.10.3.3, 10.10.3.103)',
    );
  });

  it('refuses a host whose address would fall outside the network', () => {
    const t = makeTopology({ hosts: 1, networks: [{ cidr: '10.0.0.0/28' }] });
    expect(() => hostNics(t.networks, 15)).toThrow('host 15 has no address for NIC 1 on 10.0.0.0/28');
  });
});
