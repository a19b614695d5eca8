import { describe, expect, it } from '@jest/globals';
import type { IpLink, IpRoute } from './nics.js';
import type { LentRecord } from './restore.js';
import { recordedAddresses, restorePlan, routeAddArgs, routesThrough } from './restore.js';

const v4: IpRoute[] = [
  { dst: 'default', gateway: '10.0.0.1', dev: 'eth0' },
  { dst: '10.10.3.0/24', dev: 'hd0', protocol: 'kernel', scope: 'link', prefsrc: '10.10.3.2' },
  { dst: '10.10.0.0/16', gateway: '10.10.3.1', dev: 'hd0', protocol: 'static', metric: 50 },
  { dst: '172.16.0.0/12', dev: 'hd0', scope: 'link' },
  {
    dst: '192.0.2.0/24',
    nexthops: [
      { gateway: '10.10.3.1', dev: 'hd0' },
      { gateway: '10.0.0.1', dev: 'eth0' },
    ],
  },
  { dst: '198.51.100.0/24', gateway: '10.10.3.1', dev: 'hd0', type: 'blackhole' },
  { dst: '203.0.113.0/24', gateway: '10.10.3.9', dev: 'hd1' },
];
const v6: IpRoute[] = [
  { dst: 'fd00:3::/64', dev: 'hd0', protocol: 'kernel', metric: 256 },
  { dst: 'fe80::/64', dev: 'hd0', protocol: 'kernel', metric: 256 },
  { dst: 'fd00::/16', gateway: 'fd00:3::1', dev: 'hd0', metric: 1024, flags: ['onlink'] },
];

describe('routesThrough: what is recorded before a NIC leaves', () => {
  it('keeps the routes through the NIC alone that the kernel does not make, with what `ip route add` needs', () => {
    expect(routesThrough('hd0', 4, v4)).toEqual([
      { family: 4, dst: '10.10.0.0/16', gateway: '10.10.3.1', protocol: 'static', metric: 50 },
      { family: 4, dst: '172.16.0.0/12', scope: 'link' },
    ]);
    expect(routesThrough('hd0', 6, v6)).toEqual([
      { family: 6, dst: 'fd00::/16', gateway: 'fd00:3::1', metric: 1024, onlink: true },
    ]);
    expect(routesThrough('eth9', 4, v4)).toEqual([]);
  });

  it.each([
    {
      route: { family: 4 as const, dst: '10.10.0.0/16', gateway: '10.10.3.1', protocol: 'static', metric: 50 },
      args: '-4 route add 10.10.0.0/16 via 10.10.3.1 dev hd0 metric 50 proto static',
    },
    {
      route: { family: 4 as const, dst: '172.16.0.0/12', scope: 'link' },
      args: '-4 route add 172.16.0.0/12 dev hd0 scope link',
    },
    {
      route: { family: 6 as const, dst: 'fd00::/16', gateway: 'fd00:3::1', metric: 1024, onlink: true },
      args: '-6 route add fd00::/16 via fd00:3::1 dev hd0 metric 1024 onlink',
    },
    {
      route: { family: 4 as const, dst: 'default', gateway: '10.10.3.1', prefsrc: '10.10.3.2' },
      args: '-4 route add default via 10.10.3.1 dev hd0 src 10.10.3.2',
    },
  ])('$args (add: a route the host has now is never replaced)', ({ route, args }) => {
    expect(routeAddArgs('hd0', route).join(' ')).toBe(args);
  });
});

const record: LentRecord = {
  nic: {
    interfaceName: 'hd0',
    netAddress: '10.10.3.0/24',
    hostIP: '10.10.3.2',
    addresses: ['10.10.3.2/24', 'fd00:3::2/64'],
    mac: '02:00:00:00:03:02',
  },
  routes: [{ family: 4, dst: '10.10.0.0/16', gateway: '10.10.3.1' }],
  lentTo: 'default/pod-a',
};
const link = (extra: Partial<IpLink> = {}): IpLink => ({
  ifname: 'hd0',
  flags: ['BROADCAST', 'MULTICAST'],
  address: '02:00:00:00:03:02',
  addr_info: [],
  ...extra,
});
const other = (ifname: string, local: string): IpLink => ({
  ifname,
  flags: ['UP'],
  addr_info: [{ family: local.includes(':') ? 'inet6' : 'inet', local, prefixlen: 24 }],
});

describe('restorePlan: giving back a NIC host-device returned down and without addresses', () => {
  it('brings it up and re-adds every recorded address and route', () => {
    expect(restorePlan(record, [link(), other('eth0', '10.0.0.2')])).toEqual({
      touch: true,
      up: true,
      add: ['10.10.3.2/24', 'fd00:3::2/64'],
      conflicts: [],
      routes: record.routes,
    });
  });

  it('never adds an address another interface of the host has now', () => {
    const plan = restorePlan(record, [link(), other('eth7', '10.10.3.2')]);
    expect(plan).toMatchObject({
      touch: true,
      add: ['fd00:3::2/64'],
      conflicts: [{ address: '10.10.3.2/24', owner: 'eth7' }],
    });
  });

  it('leaves what is already there (an address present, the link up)', () => {
    const back = link({
      flags: ['UP'],
      addr_info: [{ family: 'inet6', local: 'FD00:3::2', prefixlen: 64, scope: 'global' }],
    });
    expect(restorePlan(record, [back])).toMatchObject({ touch: true, up: false, add: ['10.10.3.2/24'] });
  });

  it.each([
    { case: 'not on the host', links: [other('eth0', '10.0.0.2')], reason: /hd0 is not on the host/ },
    {
      case: 'another device under that name',
      links: [link({ address: '02:00:00:00:09:09' })],
      reason: /has MAC 02:00:00:00:09:09, the NIC lent was 02:00:00:00:03:02: another device, not touched/,
    },
  ])('does not touch it when $case', ({ links, reason }) => {
    const plan = restorePlan(record, links);
    expect(plan.touch).toBe(false);
    expect(!plan.touch && plan.reason).toMatch(reason);
  });

  it('a record without `addresses` gives back hostIP with its network length', () => {
    expect(recordedAddresses({ interfaceName: 'hd0', netAddress: '10.10.3.0/28', hostIP: '10.10.3.2' })).toEqual([
      '10.10.3.2/28',
    ]);
    expect(recordedAddresses({ interfaceName: 'hd0', netAddress: '', hostIP: '' })).toEqual([]);
  });
});
