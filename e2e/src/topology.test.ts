import { describe, expect, it } from '@jest/globals';
import { DEMO_NETWORKS, describeTopology, hostNics, makeTopology } from './topology.js';

describe('makeTopology', () => {
  it('by default gives each host eth1 on 10.10.1.0/24 and eth2 on 10.10.2.0/24 at .<index> (the e2e tests’ topology)', () => {
    const t = makeTopology({ hosts: 2 });
    expect(t.networks.map((n) => [n.cidr, n.bridge, n.nicsPerHost])).toEqual([
      ['10.10.1.0/24', 'br1', 1],
      ['10.10.2.0/24', 'br2', 1],
    ]);
    expect(t.hosts).toEqual([
      [
        { name: 'eth1', network: '10.10.1.0/24', address: '10.10.1.1/24' },
        { name: 'eth2', network: '10.10.2.0/24', address: '10.10.2.1/24' },
      ],
      [
        { name: 'eth1', network: '10.10.1.0/24', address: '10.10.1.2/24' },
        { name: 'eth2', network: '10.10.2.0/24', address: '10.10.2.2/24' },
      ],
    ]);
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
    expect(describeTopology(t)[2]).toBe(
      '10.10.3.0/24 (br3): eth3, eth4 on each host (host-1 10.10.3.1, 10.10.3.101; host-2 10.10.3.2, 10.10.3.102; host-3 10.10.3.3, 10.10.3.103)',
    );
  });

  it('refuses a host whose address would fall outside the network', () => {
    const t = makeTopology({ hosts: 1, networks: [{ cidr: '10.0.0.0/28' }] });
    expect(() => hostNics(t.networks, 15)).toThrow('host 15 has no address for NIC 1 on 10.0.0.0/28');
  });
});
