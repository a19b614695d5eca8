import { describe, expect, it } from '@jest/globals';
import { hostLocalConfig, hostLocalRanges, parseHostLocalConf } from './host-local.js';
import type { HostLocalConf } from './host-local.js';
import { AWS_IPVLAN_NOT_IMPLEMENTED, awsIpvlanNotImplemented } from './aws-ipvlan.js';
import { ipamModeOf } from './ipam.js';

const pools = [
  { hostName: 'node1', interfaceName: 'eth1', podCIDR: '192.168.0.0/26', vlanCIDR: '192.168.0.0/18' },
  {
    hostName: 'node1',
    interfaceName: 'eth2',
    podCIDR: '192.168.64.0/26',
    vlanCIDR: '192.168.64.0/18',
    excludes: ['192.168.64.16/30'],
    gateway: '192.168.64.1',
  },
  { hostName: 'node2', interfaceName: 'eth1', podCIDR: '192.168.0.64/26', vlanCIDR: '192.168.0.0/18' },
];

const conf = (extra: Partial<HostLocalConf> = {}): HostLocalConf => ({
  hostName: 'node1',
  interfaceName: 'eth1',
  pools,
  ...extra,
});

describe('hostLocalRanges', () => {
  it.each([
    {
      case: 'the pool of this host and NIC',
      conf: conf(),
      ranges: [{ subnet: '192.168.0.0/18', rangeStart: '192.168.0.1', rangeEnd: '192.168.0.62' }],
    },
    {
      case: 'another host, same NIC',
      conf: conf({ hostName: 'node2' }),
      ranges: [{ subnet: '192.168.0.0/18', rangeStart: '192.168.0.65', rangeEnd: '192.168.0.126' }],
    },
    {
      case: 'excludes split the range; the pool gateway is kept',
      conf: conf({ interfaceName: 'eth2' }),
      ranges: [
        { subnet: '192.168.64.0/18', rangeStart: '192.168.64.1', rangeEnd: '192.168.64.15', gateway: '192.168.64.1' },
        { subnet: '192.168.64.0/18', rangeStart: '192.168.64.20', rangeEnd: '192.168.64.62', gateway: '192.168.64.1' },
      ],
    },
    {
      case: 'hostConfigs for this interface win over the plan',
      conf: conf({
        hostConfigs: {
          defaults: { gateway: '10.0.0.1' },
          hosts: {
            node1: {
              interfaces: {
                eth1: { subnet: '10.1.0.0/24', rangeStart: '10.1.0.100', rangeEnd: '10.1.0.150', gateway: '10.1.0.1' },
              },
            },
          },
        },
      }),
      ranges: [{ subnet: '10.1.0.0/24', rangeStart: '10.1.0.100', rangeEnd: '10.1.0.150', gateway: '10.1.0.1' }],
    },
    {
      case: 'hostConfigs that give this host no subnet fall back to the plan',
      conf: conf({ hostConfigs: { hosts: { node2: { subnet: '10.2.0.0/24' } } } }),
      ranges: [{ subnet: '192.168.0.0/18', rangeStart: '192.168.0.1', rangeEnd: '192.168.0.62' }],
    },
  ])('$case', ({ conf: c, ranges }) => {
    expect(hostLocalRanges(c)).toEqual(ranges);
  });

  it.each([
    {
      case: 'no pool for the host',
      conf: conf({ hostName: 'node9' }),
      msg: /^no host-local range for host node9 interface eth1: ipam\.pools has none for it \(pools: node1\/eth1, node1\/eth2, node2\/eth1\)/,
    },
    {
      case: 'hostConfigs range outside its subnet',
      conf: conf({ hostConfigs: { defaults: { subnet: '10.1.0.0/24', rangeStart: '10.2.0.1' } } }),
      msg: /^ipam\.hostConfigs: .*rangeStart 10\.2\.0\.1 is not a usable address of subnet 10\.1\.0\.0\/24/,
    },
    {
      case: 'a pool outside its vlanCIDR',
      conf: conf({
        pools: [{ hostName: 'node1', interfaceName: 'eth1', podCIDR: '10.0.0.0/26', vlanCIDR: '192.168.0.0/18' }],
      }),
      msg: /^ipam\.pools \(host node1 interface eth1\): podCIDR 10\.0\.0\.0\/26 is not inside vlanCIDR/,
    },
  ])('refuses with code 7 naming the field: $case', ({ conf: c, msg }) => {
    expect(() => hostLocalRanges(c)).toThrow(expect.objectContaining({ code: 7, message: expect.stringMatching(msg) }));
  });
});

describe('parseHostLocalConf and hostLocalConfig', () => {
  it('reads the ipam block, takes the interface from master and this host name by default, and writes host-local configuration', () => {
    const parsed = parseHostLocalConf(
      {
        master: 'eth2',
        ipam: { type: 'multi-nic-ipam', mode: 'host-local', pools, dataDir: '/tmp/x', routes: [{ dst: '0.0.0.0/0' }] },
      },
      'node1',
    );
    expect(parsed).toMatchObject({ hostName: 'node1', interfaceName: 'eth2', dataDir: '/tmp/x' });
    const out = hostLocalConfig({ conf: parsed, name: 'net-a', cniVersion: '1.1.0' });
    expect(out).toEqual({
      cniVersion: '1.0.0',
      name: 'net-a',
      ipam: {
        type: 'host-local',
        ranges: [hostLocalRanges(parsed)],
        dataDir: '/tmp/x',
        routes: [{ dst: '0.0.0.0/0' }],
      },
    });
    expect(hostLocalConfig({ conf: parsed, name: 'net-a', cniVersion: '0.4.0' })['cniVersion']).toBe('0.4.0');
  });

  it.each([
    { case: 'no interface', config: { ipam: { mode: 'host-local' } }, msg: /^ipam\.interfaceName is required/ },
    { case: 'pools not a list', config: { master: 'eth1', ipam: { pools: {} } }, msg: /^ipam\.pools must be a list/ },
    {
      case: 'a pool without podCIDR',
      config: { master: 'eth1', ipam: { pools: [{ hostName: 'a', interfaceName: 'eth1', vlanCIDR: '10.0.0.0/8' }] } },
      msg: /^ipam\.pools\[0\]\.podCIDR is required/,
    },
    {
      case: 'hostName not a string',
      config: { master: 'eth1', ipam: { hostName: 3 } },
      msg: /^ipam\.hostName must be a string/,
    },
  ])('a bad host-local block is code 7: $case', ({ config, msg }) => {
    expect(() => parseHostLocalConf(config, 'node1')).toThrow(
      expect.objectContaining({ code: 7, message: expect.stringMatching(msg) }),
    );
  });
});

describe('ipamModeOf', () => {
  it.each([
    { ipam: { type: 'multi-nic-ipam' }, mode: 'agent' },
    { ipam: { type: 'multi-nic-ipam', mode: 'agent' }, mode: 'agent' },
    { ipam: { type: 'multi-nic-ipam', mode: 'host-local' }, mode: 'host-local' },
    { ipam: { type: 'multi-nic-ipam', mode: 'aws-ipvlan' }, mode: 'aws-ipvlan' },
  ])('$ipam.mode → $mode', ({ ipam, mode }) => {
    expect(ipamModeOf({ ipam })).toBe(mode);
  });

  it('an unknown mode is code 7 listing the modes', () => {
    expect(() => ipamModeOf({ ipam: { mode: 'dhcp' } })).toThrow(
      expect.objectContaining({ code: 7, message: 'ipam.mode "dhcp" is not one of agent, host-local, aws-ipvlan' }),
    );
  });

  it('aws-ipvlan answers a plugin-specific "not implemented" code', () => {
    expect(AWS_IPVLAN_NOT_IMPLEMENTED).toBeGreaterThanOrEqual(100);
    expect(awsIpvlanNotImplemented()).toMatchObject({
      code: AWS_IPVLAN_NOT_IMPLEMENTED,
      message: expect.stringMatching(/not implemented/),
    });
  });
});
