import { describe, expect, it } from '@jest/globals';
import { parseWith } from './index.js';
import { MultiNicNetworkSchema } from './multinicnetwork.js';
import { planConfigOf, planConfigsOf, planHostOf } from './plan-config.js';

describe('planHostOf', () => {
  it('keeps the NICs that have an address, named by the HostInterface', () => {
    const host = planHostOf({
      metadata: { name: 'gpu-1' },
      spec: {
        interfaces: [
          { interfaceName: 'eth1', netAddress: '10.0.1.0/24', hostIP: '10.0.1.1' },
          { interfaceName: 'eth2', netAddress: '', hostIP: '' },
          { interfaceName: 'eth3' },
        ],
      },
    });
    expect(host).toEqual({
      hostName: 'gpu-1',
      interfaces: [{ interfaceName: 'eth1', netAddress: '10.0.1.0/24', hostIP: '10.0.1.1' }],
    });
  });

  it('keeps the gateway the agent discovered on a NIC', () => {
    const host = planHostOf({
      metadata: { name: 'h' },
      spec: {
        interfaces: [
          { interfaceName: 'eth1', netAddress: '10.0.3.0/24', hostIP: '10.0.3.1', gateway: '10.0.3.254' },
          { interfaceName: 'eth2', netAddress: '10.0.4.0/24', hostIP: '10.0.4.1' },
        ],
      },
    });
    expect(host.interfaces).toEqual([
      { interfaceName: 'eth1', netAddress: '10.0.3.0/24', hostIP: '10.0.3.1', gateway: '10.0.3.254' },
      { interfaceName: 'eth2', netAddress: '10.0.4.0/24', hostIP: '10.0.4.1' },
    ]);
  });

  it("passes every address of a NIC on (the plan takes the other family's address from there)", () => {
    const host = planHostOf({
      metadata: { name: 'h' },
      spec: {
        interfaces: [
          {
            interfaceName: 'eth1',
            netAddress: '10.0.1.0/24',
            hostIP: '10.0.1.1',
            addresses: ['10.0.1.1/24', 'fd00:10:1::1/64'],
          },
          { interfaceName: 'eth2', netAddress: '10.0.2.0/24', hostIP: '10.0.2.1', addresses: [] },
        ],
      },
    });
    expect(host.interfaces).toEqual([
      {
        interfaceName: 'eth1',
        netAddress: '10.0.1.0/24',
        hostIP: '10.0.1.1',
        addresses: ['10.0.1.1/24', 'fd00:10:1::1/64'],
      },
      { interfaceName: 'eth2', netAddress: '10.0.2.0/24', hostIP: '10.0.2.1' },
    ]);
  });

  it('gives a host without a spec no NICs', () => {
    expect(planHostOf({ metadata: { name: 'n' } })).toEqual({ hostName: 'n', interfaces: [] });
  });
});

describe('planConfigOf', () => {
  const network = (spec: Record<string, unknown>) => {
    const parsed = parseWith(MultiNicNetworkSchema, {
      apiVersion: 'multinic.dev/v1',
      kind: 'MultiNicNetwork',
      metadata: { name: 'n' },
      spec: { plugin: { cniVersion: '1.0.0', type: 'macvlan' }, ...spec },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    return parsed.value;
  };

  it.each`
    case                                    | spec                                                                                               | hostBlock
    ${'host-subnet mode without hostBlock'} | ${{ subnet: '', ipam: { type: 'multi-nic-ipam' } }}                                                | ${undefined}
    ${'host-subnet mode with hostBlock 3'}  | ${{ subnet: '', ipam: { type: 'multi-nic-ipam', hostBlock: 3 } }}                                  | ${3}
    ${'a pod subnet'}                       | ${{ subnet: '192.168.0.0/16', ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2 } }} | ${6}
  `('$case: hostBlock $hostBlock (left out means the default per NIC network)', ({ spec, hostBlock }) => {
    const config = planConfigOf(network(spec as Record<string, unknown>));
    expect(config.hostBlock).toBe(hostBlock);
    expect(Object.hasOwn(config, 'hostBlock')).toBe(hostBlock !== undefined);
  });
});

describe('planConfigsOf', () => {
  const parse = (spec: Record<string, unknown>) => {
    const parsed = parseWith(MultiNicNetworkSchema, {
      apiVersion: 'multinic.dev/v1',
      kind: 'MultiNicNetwork',
      metadata: { name: 'n' },
      spec: { plugin: { cniVersion: '1.0.0', type: 'macvlan' }, masterNets: ['10.0.1.0/24'], ...spec },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    return parsed.value;
  };

  it('gives one config per subnets entry, first family first, blocks from the entry or ipam, excludes per family', () => {
    const network = parse({
      subnets: [{ cidr: '192.168.0.0/16' }, { cidr: 'fd00:10::/48', interfaceBlock: 8, hostBlock: 8 }],
      ipam: {
        type: 'multi-nic-ipam',
        interfaceBlock: 2,
        hostBlock: 6,
        excludeCIDRs: ['192.168.0.0/24', 'fd00:10::/64'],
      },
    });
    expect(planConfigsOf(network)).toEqual([
      {
        subnet: '192.168.0.0/16',
        interfaceBlock: 2,
        hostBlock: 6,
        masterNets: ['10.0.1.0/24'],
        excludeCIDRs: ['192.168.0.0/24'],
      },
      {
        subnet: 'fd00:10::/48',
        interfaceBlock: 8,
        hostBlock: 8,
        masterNets: ['10.0.1.0/24'],
        excludeCIDRs: ['fd00:10::/64'],
      },
    ]);
    expect(planConfigOf(network)).toEqual(planConfigsOf(network)[0]);
  });

  it('gives a network with one subnet exactly planConfigOf', () => {
    const network = parse({
      subnet: '192.168.0.0/16',
      ipam: { type: 'multi-nic-ipam', interfaceBlock: 2, hostBlock: 6 },
    });
    expect(planConfigsOf(network)).toEqual([planConfigOf(network)]);
  });
});
