import { describe, expect, it } from '@jest/globals';
import { masterNetIndex, nicNetworks } from './nic-networks.js';

describe('nicNetworks: the networks a NIC is on', () => {
  it.each`
    case                                     | nic                                                                               | networks
    ${'IPv4 only'}                           | ${{ netAddress: '10.0.1.0/24', addresses: ['10.0.1.5/24'] }}                      | ${['10.0.1.0/24']}
    ${'dual-addressed: netAddress first'}    | ${{ netAddress: '10.0.1.0/24', addresses: ['10.0.1.5/24', 'fd00:1::5/64'] }}      | ${['10.0.1.0/24', 'fd00:1::/64']}
    ${'IPv6 only, two networks'}             | ${{ netAddress: 'fd00:1::/64', addresses: ['fd00:1::5/64', 'fd00:2::5/80'] }}     | ${['fd00:1::/64', 'fd00:2::/80']}
    ${'before discovery reported addresses'} | ${{ netAddress: '10.0.1.0/24' }}                                                  | ${['10.0.1.0/24']}
    ${'unaddressed'}                         | ${{ netAddress: '', addresses: [] }}                                              | ${[]}
    ${'unparsable text left out'}            | ${{ netAddress: '10.0.1.0/24', addresses: ['nonsense', 'fd00:0001:0000::5/64'] }} | ${['10.0.1.0/24', 'fd00:1::/64']}
  `('$case', ({ nic, networks }) => {
    expect(nicNetworks(nic as Parameters<typeof nicNetworks>[0])).toEqual(networks);
  });
});

describe('masterNetIndex: a NIC matches a masterNets entry by any of its networks', () => {
  const dual = { netAddress: '10.10.1.0/24', addresses: ['10.10.1.1/24', 'fd10:10:1::1/64'] };
  it.each`
    case                                         | masterNets                              | nic                               | index
    ${'by its IPv4 network'}                     | ${['10.10.2.0/24', '10.10.1.0/24']}     | ${dual}                           | ${1}
    ${'by its IPv6 network'}                     | ${['fd10:10:2::/64', 'fd10:10:1::/64']} | ${dual}                           | ${1}
    ${'by its IPv6 network written another way'} | ${['fd10:10:1:0::/64']}                 | ${dual}                           | ${0}
    ${'the first entry naming it wins'}          | ${['fd10:10:1::/64', '10.10.1.0/24']}   | ${dual}                           | ${0}
    ${'a wider prefix is not the NIC network'}   | ${['fd10:10::/48', '10.10.0.0/16']}     | ${dual}                           | ${-1}
    ${'an IPv6 entry and a NIC without IPv6'}    | ${['fd10:10:1::/64']}                   | ${{ netAddress: '10.10.1.0/24' }} | ${-1}
    ${'a bad entry names nothing'}               | ${['fd10:10:1::1/64']}                  | ${dual}                           | ${-1}
  `('$case', ({ masterNets, nic, index }) => {
    expect(masterNetIndex(masterNets as string[], nic as Parameters<typeof masterNetIndex>[1])).toBe(index);
  });
});
