import { describe, expect, it } from '@jest/globals';
import {
  CidrSchema,
  CidrSpecSchema,
  HostInterfaceSchema,
  HostNicSchema,
  IPPoolSchema,
  NicClassSchema,
} from './resources.js';
import { formatProblem, parseWith } from './problems.js';
import type { z } from 'zod';

type Doc = Record<string, unknown>;

function problems(schema: z.ZodType, doc: unknown): string[] {
  const r = parseWith(schema, doc);
  return r.ok ? [] : r.problems.map(formatProblem);
}

function roundTrips(schema: z.ZodType, doc: unknown): void {
  const first = parseWith(schema, doc);
  expect(first.ok).toBe(true);
  if (first.ok) expect(parseWith(schema, JSON.parse(JSON.stringify(first.value)))).toEqual(first);
}

const hostInterface = (interfaces: Doc[], name = 'host1'): Doc => ({
  apiVersion: 'multinic.dev/v1',
  kind: 'HostInterface',
  metadata: { name },
  spec: { hostName: name, interfaces },
});

const eth1: Doc = {
  interfaceName: 'eth1',
  netAddress: '10.0.1.0/24',
  hostIP: '10.0.1.1',
  mac: '0c:42:a1:5e:7b:10',
  mtu: 9000,
  speedMbps: 100000,
  numaNode: 0,
  pciAddress: '0000:3b:00.0',
  vendor: '15b3',
  product: '1019',
  driver: 'mlx5_core',
};

describe('HostInterface', () => {
  it.each([
    { case: 'a full NIC', nics: [eth1] },
    {
      case: 'only the multi-nic-cni fields',
      nics: [{ interfaceName: 'eth2', netAddress: '10.0.2.0/24', hostIP: '10.0.2.1' }],
    },
    {
      case: 'a NIC without an address (SR-IOV PF)',
      nics: [{ interfaceName: 'ens1f0', netAddress: '', hostIP: '', pciAddress: '0000:af:00.0', totalVfs: 8 }],
    },
    {
      case: 'IPv6',
      nics: [
        {
          interfaceName: 'eth3',
          netAddress: 'fd00:1::/64',
          hostIP: 'fd00:1::a',
          addresses: ['fd00:1::a/64', '10.0.3.1/24'],
        },
      ],
    },
    {
      case: 'a NIC lent to a pod (moved into its network namespace)',
      nics: [{ ...eth1, lentTo: 'default/hd-0' }],
    },
    {
      case: 'an InfiniBand MAC',
      nics: [{ ...eth1, mac: '80:00:02:08:fe:80:00:00:00:00:00:00:0c:42:a1:03:00:5e:7b:10' }],
    },
  ])('accepts and round-trips $case', ({ nics }) => {
    roundTrips(HostInterfaceSchema, hostInterface(nics));
  });

  it.each([
    {
      bad: 'hostIP outside netAddress',
      nic: { ...eth1, hostIP: '10.0.2.1' },
      expected: ['spec.interfaces[0].hostIP: 10.0.2.1 is not inside netAddress 10.0.1.0/24'],
    },
    {
      bad: 'netAddress with host bits',
      nic: { ...eth1, netAddress: '10.0.1.1/24' },
      expected: [
        'spec.interfaces[0].netAddress: has host bits set: use 10.0.1.0/24 (or "" for a NIC without an address)',
      ],
    },
    {
      bad: 'only one of netAddress/hostIP',
      nic: { ...eth1, hostIP: '' },
      expected: ['spec.interfaces[0].hostIP: netAddress and hostIP must both be set or both be ""'],
    },
    {
      bad: 'interface name too long',
      nic: { ...eth1, interfaceName: 'enp175s0f0np0vf1' },
      expected: ['spec.interfaces[0].interfaceName: must be at most 15 characters (a Linux interface name)'],
    },
    {
      bad: 'interface name with a slash',
      nic: { ...eth1, interfaceName: 'eth/1' },
      expected: ["spec.interfaces[0].interfaceName: must be a Linux interface name: no '/', ':' or whitespace"],
    },
    {
      bad: 'bad MAC',
      nic: { ...eth1, mac: '0c:42:a1:5e:7b' },
      expected: [
        'spec.interfaces[0].mac: must be a MAC address such as 02:42:ac:11:00:02 (6 bytes, or 20 bytes for InfiniBand)',
      ],
    },
    {
      bad: 'MTU too small',
      nic: { ...eth1, mtu: 60 },
      expected: ['spec.interfaces[0].mtu: must be an integer from 68 to 65535 (the MTU)'],
    },
    {
      bad: 'negative NUMA node',
      nic: { ...eth1, numaNode: -1 },
      expected: [
        'spec.interfaces[0].numaNode: must be an integer from 0 to 1023 (omit it when the NIC has no NUMA affinity)',
      ],
    },
    {
      bad: 'vendor with 0x',
      nic: { ...eth1, vendor: '0x15b3' },
      expected: [
        'spec.interfaces[0].vendor: must be a PCI vendor id of 4 lower-case hex digits such as 15b3 (without 0x)',
      ],
    },
    {
      bad: 'PCI address without domain',
      nic: { ...eth1, pciAddress: '3b:00.0' },
      expected: ['spec.interfaces[0].pciAddress: must be a PCI address such as 0000:3b:00.1 (lower-case hex)'],
    },
    {
      bad: 'a misspelt field',
      nic: { ...eth1, hostIp: '10.0.1.1' },
      expected: ['spec.interfaces[0]: unknown field "hostIp": remove it or check the spelling'],
    },
  ])('rejects $bad', ({ nic, expected }) => {
    expect(problems(HostInterfaceSchema, hostInterface([nic]))).toEqual(expected);
  });

  it('rejects a NIC listed twice', () => {
    expect(problems(HostInterfaceSchema, hostInterface([eth1, eth1]))).toEqual([
      'spec.interfaces[1].interfaceName: duplicate interfaceName "eth1": each must appear once',
    ]);
  });

  it('rejects a hostName that is not the object name', () => {
    const doc = { ...hostInterface([eth1]), spec: { hostName: 'host2', interfaces: [eth1] } };
    expect(problems(HostInterfaceSchema, doc)).toEqual([
      'spec.hostName: must equal metadata.name (host1): a HostInterface is named after its node',
    ]);
  });

  it('HostNicSchema is the element schema', () => {
    expect(HostNicSchema.safeParse(eth1).success).toBe(true);
  });

  it('accepts route status reported by the agent', () => {
    roundTrips(HostInterfaceSchema, {
      ...hostInterface([eth1]),
      status: {
        routes: [
          { network: 'multinic-ipvlanl3', status: 'Success', table: 1001, tableName: 'multinic-ipvlanl3', routes: 3 },
        ],
      },
    });
  });
});

const plan = {
  config: {
    subnet: '192.168.0.0/16',
    interfaceBlock: 2,
    hostBlock: 6,
    masterNets: ['10.0.1.0/24', '10.0.2.0/24'],
    excludeCIDRs: [],
  },
  cidr: [
    {
      netAddress: '10.0.1.0/24',
      interfaceIndex: 0,
      vlanCIDR: '192.168.0.0/18',
      hosts: [
        {
          hostIndex: 0,
          hostName: 'host1',
          interfaceName: 'eth1',
          hostIP: '10.0.1.1',
          podCIDR: '192.168.0.0/24',
          ippool: 'net-192.168.0.0-24',
        },
        {
          hostIndex: 1,
          hostName: 'host2',
          interfaceName: 'eth1',
          hostIP: '10.0.1.2',
          podCIDR: '192.168.1.0/24',
          ippool: 'net-192.168.1.0-24',
        },
      ],
      highWater: 2,
    },
  ],
};
const cidr = (spec: Doc): Doc => ({ apiVersion: 'multinic.dev/v1', kind: 'CIDR', metadata: { name: 'net' }, spec });

describe('CIDR', () => {
  it('accepts and round-trips the worked example plan', () => {
    roundTrips(CidrSchema, cidr(plan));
  });

  it.each([
    {
      bad: 'missing config field',
      spec: { ...plan, config: { ...plan.config, excludeCIDRs: undefined } },
      expected: ['spec.config.excludeCIDRs: is required'],
    },
    {
      bad: 'duplicate host index',
      spec: {
        ...plan,
        cidr: [{ ...plan.cidr[0], hosts: [plan.cidr[0]?.hosts[0], { ...plan.cidr[0]?.hosts[1], hostIndex: 0 }] }],
      },
      expected: ['spec.cidr[0].hosts[1].hostIndex: duplicate hostIndex "0": each must appear once'],
    },
    {
      bad: 'vlanCIDR with host bits',
      spec: { ...plan, cidr: [{ ...plan.cidr[0], vlanCIDR: '192.168.1.0/18' }] },
      expected: ['spec.cidr[0].vlanCIDR: has host bits set: use 192.168.0.0/18'],
    },
    {
      bad: 'negative highWater',
      spec: { ...plan, cidr: [{ ...plan.cidr[0], highWater: -1 }] },
      expected: ['spec.cidr[0].highWater: must be an integer from 0 to 4294967295'],
    },
  ])('rejects $bad', ({ spec, expected }) => {
    expect(problems(CidrSchema, cidr(spec))).toEqual(expected);
  });
});

const pool = (status?: Doc): Doc => ({
  apiVersion: 'multinic.dev/v1',
  kind: 'IPPool',
  metadata: { name: 'net-192.168.0.0-24' },
  spec: {
    network: 'net',
    hostName: 'host1',
    interfaceName: 'eth1',
    podCIDR: '192.168.0.0/24',
    vlanCIDR: '192.168.0.0/18',
    excludes: ['192.168.0.128/30'],
  },
  ...(status === undefined ? {} : { status }),
});
const allocation = {
  address: '192.168.0.5',
  containerID: 'c0ffee',
  interface: 'net1-0',
  podName: 'web-0',
  podNamespace: 'default',
  podUID: '2f1f3c5e-0c3b-4d55-9c2e-7c6c4c1f0a11',
};

describe('IPPool', () => {
  it('accepts and round-trips a pool with allocations', () => {
    roundTrips(
      IPPoolSchema,
      pool({ allocations: [allocation, { ...allocation, address: '192.168.0.6', interface: 'net1-1' }] }),
    );
  });

  it.each([
    {
      bad: 'an address outside the pod block',
      status: { allocations: [{ ...allocation, address: '192.168.1.5' }] },
      expected: ["status.allocations[0].address: 192.168.1.5 is outside the pool's podCIDR 192.168.0.0/24"],
    },
    {
      bad: 'an address with prefix',
      status: { allocations: [{ ...allocation, address: '192.168.0.5/24' }] },
      expected: [
        'status.allocations[0].address: must be an IPv4 or IPv6 address such as 10.0.1.1 (no prefix length), not "192.168.0.5/24"',
      ],
    },
    {
      bad: 'an address handed out twice',
      status: { allocations: [allocation, allocation] },
      expected: ['status.allocations[1].address: duplicate address "192.168.0.5": each must appear once'],
    },
    {
      bad: 'no pod UID',
      status: { allocations: [{ ...allocation, podUID: '' }] },
      expected: ['status.allocations[0].podUID: must not be empty'],
    },
  ])('rejects $bad', ({ status, expected }) => {
    expect(problems(IPPoolSchema, pool(status))).toEqual(expected);
  });
});

describe('NicClass', () => {
  const nicClass = (spec: Doc): Doc => ({
    apiVersion: 'multinic.dev/v1',
    kind: 'NicClass',
    metadata: { name: 'highspeed' },
    spec,
  });
  it('accepts and round-trips a vendor/product filter', () => {
    roundTrips(NicClassSchema, nicClass({ vendor: '15b3', products: ['1019', '101d'] }));
  });
  it.each([
    {
      bad: 'upper-case vendor',
      spec: { vendor: '15B3', products: [] },
      expected: ['spec.vendor: must be a PCI vendor id of 4 lower-case hex digits such as 15b3 (without 0x)'],
    },
    { bad: 'missing products', spec: { vendor: '15b3' }, expected: ['spec.products: is required'] },
    {
      bad: "multi-nic-cni DeviceClass's ids",
      spec: { ids: [{ vendor: '15b3', products: ['1019'] }] },
      expected: [
        'spec.vendor: is required',
        'spec.products: is required',
        'spec: unknown field "ids": remove it or check the spelling',
      ],
    },
  ])('rejects $bad', ({ spec, expected }) => {
    expect(problems(NicClassSchema, nicClass(spec))).toEqual(expected);
  });
});

describe('CIDR spec.otherFamily (dual-stack, ADR 0006)', () => {
  const plan = (subnet: string, netAddress: string, podCIDR: string, hostIP: string) => ({
    config: { subnet, interfaceBlock: 8, hostBlock: 8, masterNets: ['10.0.1.0/24'], excludeCIDRs: [] },
    cidr: [
      {
        netAddress,
        interfaceIndex: 0,
        vlanCIDR: podCIDR.replace(/\/\d+$/, '/56'),
        hosts: [{ hostIndex: 0, hostName: 'h1', interfaceName: 'eth1', hostIP, podCIDR, ippool: 'n-x' }],
      },
    ],
  });

  it('carries the second family beside the first; a single-family CIDR needs none', () => {
    const first = plan('192.168.0.0/16', '10.0.1.0/24', '192.168.0.0/24', '10.0.1.1');
    const other = plan('fd00:10::/48', 'fd00:1::/64', 'fd00:10::/64', 'fd00:1::1');
    (other.cidr[0] as { vlanCIDR: string }).vlanCIDR = 'fd00:10::/56';
    (first.cidr[0] as { vlanCIDR: string }).vlanCIDR = '192.168.0.0/16';
    expect(parseWith(CidrSpecSchema, first).ok).toBe(true);
    const dual = parseWith(CidrSpecSchema, { ...first, otherFamily: other });
    expect(dual.ok && dual.value.otherFamily?.cidr[0]?.hosts[0]?.podCIDR).toBe('fd00:10::/64');
  });

  it('refuses a repeated interface index in the other family, naming the field', () => {
    const first = plan('192.168.0.0/16', '10.0.1.0/24', '192.168.0.0/24', '10.0.1.1');
    const other = plan('fd00:10::/48', 'fd00:1::/64', 'fd00:10::/64', 'fd00:1::1');
    other.cidr.push({ ...(other.cidr[0] as (typeof other.cidr)[number]), netAddress: 'fd00:2::/64' });
    const parsed = parseWith(CidrSpecSchema, { ...first, otherFamily: other });
    expect(parsed.ok ? [] : parsed.problems.map((p) => p.path)).toContain('otherFamily.cidr[1].interfaceIndex');
  });
});
