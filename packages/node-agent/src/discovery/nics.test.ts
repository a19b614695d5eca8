import { describe, expect, it } from '@jest/globals';
import type { DiscoveryOptions, IpLink, SysfsReadings } from './nics.js';
import {
  DEFAULT_EXCLUDE_KINDS,
  DEFAULT_EXCLUDE_NAMES,
  IpLinkListSchema,
  IpRouteListSchema,
  diffNics,
  discoverNics,
  gatewayOf,
} from './nics.js';

const options: DiscoveryOptions = {
  excludeNames: DEFAULT_EXCLUDE_NAMES.map((s) => new RegExp(s)),
  excludeKinds: DEFAULT_EXCLUDE_KINDS,
  includeDefaultRoute: false,
  includeDown: false,
  includeUnaddressed: false,
};

function link(name: string, extra: Partial<IpLink> & { v4?: string; v6?: string } = {}): IpLink {
  const { v4, v6, ...rest } = extra;
  const addr_info = [
    ...(v4 === undefined
      ? []
      : [{ family: 'inet', local: v4.split('/')[0] ?? '', prefixlen: Number(v4.split('/')[1]), scope: 'global' }]),
    ...(v6 === undefined
      ? []
      : [{ family: 'inet6', local: v6.split('/')[0] ?? '', prefixlen: Number(v6.split('/')[1]), scope: 'global' }]),
    { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
  ];
  return {
    ifname: name,
    flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    mtu: 9000,
    operstate: 'UP',
    link_type: 'ether',
    address: '02:00:00:00:00:01',
    addr_info,
    ...rest,
  };
}

// `ip -d -j addr show` of a GPU node: a management NIC with the default route, two ConnectX NICs on one subnet,
// an SR-IOV VF, a NIC that is down, a bridge with a port, a pod veth and a macvlan we created.
const host: IpLink[] = [
  {
    ifname: 'lo',
    flags: ['LOOPBACK', 'UP', 'LOWER_UP'],
    mtu: 65536,
    operstate: 'UNKNOWN',
    link_type: 'loopback',
    addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }],
  },
  link('eno1', { v4: '192.168.0.10/24' }),
  link('ens1f0', { v4: '10.0.1.11/24', v6: 'fd00:1::11/64' }),
  link('ens1f1', { v4: '10.0.1.12/24' }),
  link('ens2f0v1', { v4: '10.0.2.11/24' }),
  link('ens3', { v4: '10.0.3.11/24', flags: ['BROADCAST', 'MULTICAST'], operstate: 'DOWN' }),
  link('br0', { v4: '172.16.0.1/24', linkinfo: { info_kind: 'bridge' } }),
  link('ens4', { master: 'br0', linkinfo: { info_slave_kind: 'bridge' } }),
  link('veth1234', { linkinfo: { info_kind: 'veth' } }),
  link('mnet0', { v4: '10.0.9.1/24', linkinfo: { info_kind: 'macvlan' } }),
  link('ens5', {}),
];

const sysfs: Record<string, SysfsReadings> = {
  ens1f0: {
    speed: '100000\n',
    numaNode: '1\n',
    vendor: '0x15b3\n',
    device: '0x1017\n',
    uevent: 'DRIVER=mlx5_core\nPCI_SLOT_NAME=0000:3B:00.0\n',
    sriovTotalVfs: '8\n',
  },
  ens1f1: { speed: '-1\n', numaNode: '-1\n', uevent: 'DRIVER=mlx5_core\nPCI_SLOT_NAME=0000:3b:00.1\n' },
  ens2f0v1: {
    speed: '25000',
    vendor: '0x15b3',
    device: '0x1018',
    uevent: 'DRIVER=mlx5_core\nPCI_SLOT_NAME=0000:3b:00.3',
    physfn: '../0000:3b:00.0',
  },
};

describe('discoverNics', () => {
  const result = discoverNics({ links: IpLinkListSchema.parse(host), defaultRouteDevices: ['eno1'], sysfs, options });

  it('reports exactly the secondary NICs, in name order, incl. both NICs on one subnet', () => {
    expect(result.nics.map((n) => [n.interfaceName, n.netAddress, n.hostIP])).toEqual([
      ['ens1f0', '10.0.1.0/24', '10.0.1.11'],
      ['ens1f1', '10.0.1.0/24', '10.0.1.12'],
      ['ens2f0v1', '10.0.2.0/24', '10.0.2.11'],
    ]);
  });

  it.each([
    { interfaceName: 'lo', reason: 'loopback' },
    { interfaceName: 'eno1', reason: 'carries the default route' },
    { interfaceName: 'ens3', reason: 'link is down (operstate DOWN)' },
    { interfaceName: 'br0', reason: 'virtual link of kind bridge' },
    { interfaceName: 'ens4', reason: 'enslaved to br0' },
    { interfaceName: 'veth1234', reason: 'name matches excluded pattern ^veth' },
    { interfaceName: 'mnet0', reason: 'virtual link of kind macvlan' },
    { interfaceName: 'ens5', reason: 'no global IPv4 or IPv6 address' },
  ])('skips $interfaceName: $reason', ({ interfaceName, reason }) => {
    const skipped = result.skipped.find((s) => s.interfaceName === interfaceName);
    expect(skipped?.reason).toBe(reason);
  });

  it('reads hardware facts from sysfs: speed, NUMA, PCI identity, driver, SR-IOV PF and VF relation', () => {
    expect(result.nics[0]).toEqual({
      interfaceName: 'ens1f0',
      netAddress: '10.0.1.0/24',
      hostIP: '10.0.1.11',
      addresses: ['10.0.1.11/24', 'fd00:1::11/64'],
      mac: '02:00:00:00:00:01',
      mtu: 9000,
      speedMbps: 100000,
      numaNode: 1,
      pciAddress: '0000:3b:00.0',
      vendor: '15b3',
      product: '1017',
      driver: 'mlx5_core',
      totalVfs: 8,
    });
    expect(result.nics[1]).not.toHaveProperty('speedMbps');
    expect(result.nics[1]).not.toHaveProperty('numaNode');
    expect(result.nics[2]?.pfPciAddress).toBe('0000:3b:00.0');
  });

  it.each([
    { option: 'includeDefaultRoute', name: 'eno1' },
    { option: 'includeDown', name: 'ens3' },
    { option: 'includeUnaddressed', name: 'ens5' },
  ] as const)('$option reports $name too', ({ option, name }) => {
    const r = discoverNics({
      links: host,
      defaultRouteDevices: ['eno1'],
      sysfs,
      options: { ...options, [option]: true },
    });
    expect(r.nics.map((n) => n.interfaceName)).toContain(name);
  });

  it('an IPv6-only NIC uses its first global IPv6 address; an unaddressed one reports empty strings', () => {
    const r = discoverNics({
      links: [link('ib0', { v6: 'fd00:2::5/64' }), link('ib1', {})],
      defaultRouteDevices: [],
      sysfs: {},
      options: { ...options, includeUnaddressed: true },
    });
    expect(r.nics.map((n) => [n.interfaceName, n.netAddress, n.hostIP])).toEqual([
      ['ib0', 'fd00:2::/64', 'fd00:2::5'],
      ['ib1', '', ''],
    ]);
  });

  it.each`
    case                                            | flags                   | kept
    ${'a global IPv6 address'}                      | ${{}}                   | ${true}
    ${'a tentative one (DAD running)'}              | ${{ tentative: true }}  | ${false}
    ${'a deprecated one (preferred lifetime over)'} | ${{ deprecated: true }} | ${false}
    ${'one DAD found a duplicate of'}               | ${{ dadfailed: true }}  | ${false}
    ${'a link-local one'}                           | ${{ scope: 'link' }}    | ${false}
  `('a dual-addressed NIC reports every usable address; $case kept: $kept', ({ flags, kept }) => {
    const nic = link('ens6', { v4: '10.0.6.11/24' });
    const v6 = { family: 'inet6', local: 'fd00:6::11', prefixlen: 64, scope: 'global', ...(flags as object) };
    const r = discoverNics({
      links: IpLinkListSchema.parse([{ ...nic, addr_info: [...(nic.addr_info ?? []), v6] }]),
      defaultRouteDevices: [],
      sysfs: {},
      options,
    });
    expect(r.nics.map((n) => [n.netAddress, n.hostIP, n.addresses])).toEqual([
      ['10.0.6.0/24', '10.0.6.11', kept === true ? ['10.0.6.11/24', 'fd00:6::11/64'] : ['10.0.6.11/24']],
    ]);
  });

  it('an IPv6-only NIC whose only global address is still tentative is not reported until DAD is done', () => {
    const r = discoverNics({
      links: IpLinkListSchema.parse([
        { ...link('ib2'), addr_info: [{ family: 'inet6', local: 'fd00:7::1', prefixlen: 64, tentative: true }] },
      ]),
      defaultRouteDevices: [],
      sysfs: {},
      options,
    });
    expect(r).toEqual({ nics: [], skipped: [{ interfaceName: 'ib2', reason: 'no global IPv4 or IPv6 address' }] });
  });

  it('is independent of the input order', () => {
    const reversed = discoverNics({ links: [...host].reverse(), defaultRouteDevices: ['eno1'], sysfs, options });
    expect(reversed).toEqual(result);
  });

  it('a value the CRD would reject (a driver name over 64 characters) skips that NIC with the reason', () => {
    const r = discoverNics({
      links: [link('ens9', { v4: '10.0.5.1/24' })],
      defaultRouteDevices: [],
      sysfs: { ens9: { uevent: `DRIVER=${'x'.repeat(70)}` } },
      options,
    });
    expect(r.nics).toEqual([]);
    expect(r.skipped[0]?.reason).toMatch(/^not reportable: driver: /);
  });
});

describe('gatewayOf: the next hop of a route through the NIC, inside its network', () => {
  const nic = { interfaceName: 'ens1f0', netAddress: '10.0.1.0/24' };
  // As `ip -j route show table main` prints them (a multipath route lists nexthops instead of gateway/dev).
  const routes = IpRouteListSchema.parse([
    { dst: 'default', gateway: '192.168.0.1', dev: 'eno1', protocol: 'dhcp' },
    { dst: '10.0.1.0/24', dev: 'ens1f0', protocol: 'kernel', scope: 'link', prefsrc: '10.0.1.11' },
    { dst: '10.50.0.0/16', gateway: '10.0.1.200', dev: 'ens1f0' },
    { dst: '10.60.0.0/16', gateway: '10.0.1.9', dev: 'ens1f0' },
    { dst: '10.70.0.0/16', gateway: '10.0.2.1', dev: 'ens1f0', flags: ['onlink'] },
    {
      dst: '10.80.0.0/16',
      nexthops: [
        { gateway: '10.0.2.254', dev: 'ens2f0v1' },
        { gateway: '10.0.1.3', dev: 'ens1f1' },
      ],
    },
  ]);

  it.each`
    case                                                               | nicName     | routeList                                                                | gateway
    ${'lowest next hop inside the network, routes via others ignored'} | ${'ens1f0'} | ${routes}                                                                | ${'10.0.1.9'}
    ${'a default route through the NIC wins'}                          | ${'ens1f0'} | ${[...routes, { dst: 'default', gateway: '10.0.1.254', dev: 'ens1f0' }]} | ${'10.0.1.254'}
    ${'a next hop of a multipath route'}                               | ${'ens1f1'} | ${routes}                                                                | ${'10.0.1.3'}
    ${'only link routes: none'}                                        | ${'ens1f0'} | ${routes.slice(0, 2)}                                                    | ${undefined}
    ${'a next hop outside the network (onlink): none'}                 | ${'ens1f0'} | ${routes.slice(4, 5)}                                                    | ${undefined}
  `('$case', ({ nicName, routeList, gateway }) => {
    expect(gatewayOf({ ...nic, interfaceName: String(nicName) }, IpRouteListSchema.parse(routeList))).toBe(gateway);
  });

  it('discoverNics reports each NIC with its gateway, also one only a multipath route names', () => {
    const r = discoverNics({
      links: IpLinkListSchema.parse(host),
      defaultRouteDevices: ['eno1'],
      routes,
      sysfs,
      options,
    });
    expect(r.nics.map((n) => [n.interfaceName, n.gateway])).toEqual([
      ['ens1f0', '10.0.1.9'],
      ['ens1f1', '10.0.1.3'],
      ['ens2f0v1', '10.0.2.254'],
    ]);
  });
});

describe('diffNics', () => {
  it('names added, removed and changed NICs', () => {
    const a = { interfaceName: 'a', netAddress: '10.0.0.0/24', hostIP: '10.0.0.1' };
    const b = { interfaceName: 'b', netAddress: '10.0.1.0/24', hostIP: '10.0.1.1' };
    const c = { interfaceName: 'c', netAddress: '10.0.2.0/24', hostIP: '10.0.2.1' };
    expect(diffNics([a, b], [{ ...b, mtu: 9000 }, c])).toEqual({ added: ['c'], removed: ['a'], changed: ['b'] });
    expect(diffNics([a], [a])).toEqual({ added: [], removed: [], changed: [] });
  });
});
