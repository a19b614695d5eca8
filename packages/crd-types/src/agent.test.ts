import { describe, expect, it } from '@jest/globals';
import { AGENT_PATHS } from './names.js';
import {
  AllocateRequestSchema,
  AllocateResponseSchema,
  GcRequestSchema,
  LookupRequestSchema,
  LookupResponseSchema,
  ReleaseRequestSchema,
  SelectRequestSchema,
  SelectResponseSchema,
  StatusResponseSchema,
} from './agent.js';
import { formatProblem, parseWith } from './problems.js';

const pod = { name: 'web-0', namespace: 'default', uid: '2f1f3c5e-0c3b-4d55-9c2e-7c6c4c1f0a11' };
const nics = [
  { interfaceName: 'eth1', netAddress: '10.0.1.0/24', hostIP: '10.0.1.1', podInterface: 'net1-0' },
  { interfaceName: 'eth2', netAddress: '10.0.2.0/24', hostIP: '10.0.2.1', podInterface: 'net1-1' },
];
const allocate = { network: 'multinic-ipvlanl3', containerID: 'c0ffee', ifname: 'net1', pod, nics };

function problems(schema: Parameters<typeof parseWith>[0], value: unknown): string[] {
  const r = parseWith(schema, value);
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe('node agent wire types', () => {
  it('names one POST path per verb', () => {
    expect(AGENT_PATHS).toEqual({
      select: '/v1/select',
      allocate: '/v1/allocate',
      release: '/v1/release',
      gc: '/v1/gc',
      status: '/v1/status',
      lookup: '/v1/lookup',
    });
  });

  it.each([
    {
      what: 'select request',
      schema: SelectRequestSchema,
      value: {
        network: 'multinic-ipvlanl3',
        containerID: 'c0ffee',
        ifname: 'net1',
        pod,
        cniArgs: { nics: 1, class: 'highspeed' },
        deviceIDs: ['0000:3b:00.2'],
      },
    },
    {
      what: 'select response',
      schema: SelectResponseSchema,
      value: {
        network: 'multinic-ipvlanl3',
        nics,
        decisions: [
          { interfaceName: 'eth1', selected: true, reason: 'on master network 10.0.1.0/24' },
          { interfaceName: 'eth3', selected: false, reason: 'not in masterNets' },
        ],
      },
    },
    {
      what: 'allocate request with requested ips',
      schema: AllocateRequestSchema,
      value: { ...allocate, ips: ['192.168.0.9'] },
    },
    {
      what: 'allocate response',
      schema: AllocateResponseSchema,
      value: {
        network: 'multinic-ipvlanl3',
        containerID: 'c0ffee',
        ifname: 'net1',
        allocations: [
          {
            interfaceName: 'eth1',
            podInterface: 'net1-0',
            address: '192.168.0.9/18',
            podCIDR: '192.168.0.0/24',
            vlanCIDR: '192.168.0.0/18',
            ippool: 'multinic-ipvlanl3-192.168.0.0-24',
          },
          {
            interfaceName: 'eth2',
            podInterface: 'net1-1',
            address: '192.168.64.9/18',
            podCIDR: '192.168.64.0/24',
            vlanCIDR: '192.168.64.0/18',
            ippool: 'multinic-ipvlanl3-192.168.64.0-24',
            routes: [{ dst: '192.168.0.0/16' }],
          },
        ],
      },
    },
    {
      what: 'release request',
      schema: ReleaseRequestSchema,
      value: { network: 'multinic-ipvlanl3', containerID: 'c0ffee', ifname: 'net1', podUID: 'u-1' },
    },
    {
      what: 'gc request',
      schema: GcRequestSchema,
      value: { network: 'multinic-ipvlanl3', validAttachments: [{ containerID: 'c0ffee', ifname: 'net1' }] },
    },
    {
      what: 'lookup request',
      schema: LookupRequestSchema,
      value: { network: 'multinic-ipvlanl3', containerID: 'c0ffee', ifname: 'net1' },
    },
    { what: 'lookup response for an unknown attachment', schema: LookupResponseSchema, value: { allocations: [] } },
    {
      what: 'lookup response',
      schema: LookupResponseSchema,
      value: {
        allocations: [
          {
            interfaceName: 'eth1',
            podInterface: 'net1-0',
            address: '192.168.0.9/18',
            podCIDR: '192.168.0.0/24',
            vlanCIDR: '192.168.0.0/18',
            ippool: 'multinic-ipvlanl3-192.168.0.0-24',
          },
        ],
      },
    },
    {
      what: 'dual-stack lookup response (the other family beside the first, ADR 0006)',
      schema: LookupResponseSchema,
      value: {
        allocations: [
          {
            interfaceName: 'eth1',
            podInterface: 'net1-0',
            address: '192.168.0.9/18',
            gateway: '192.168.0.1',
            podCIDR: '192.168.0.0/24',
            vlanCIDR: '192.168.0.0/18',
            ippool: 'multinic-ds-192.168.0.0-24',
            otherFamily: {
              address: 'fd00:10::9/56',
              podCIDR: 'fd00:10::/64',
              vlanCIDR: 'fd00:10::/56',
              ippool: 'multinic-ds-fd00-10---64',
              gateway: 'fd00:10::1',
            },
          },
        ],
      },
    },
    {
      what: 'status response',
      schema: StatusResponseSchema,
      value: { ready: false, reason: 'NoPools', message: 'no IPPool for this node yet' },
    },
  ])('accepts a $what', ({ schema, value }) => {
    expect(problems(schema, value)).toEqual([]);
  });

  it.each([
    {
      bad: 'no pod UID',
      value: { ...allocate, pod: { ...pod, uid: '' } },
      expected: ['pod.uid: must not be empty (the pod UID)'],
    },
    { bad: 'no NIC', value: { ...allocate, nics: [] }, expected: ['nics: must have at least 1 NICs'] },
    {
      bad: 'the same NIC twice',
      value: { ...allocate, nics: [nics[0], nics[0]] },
      expected: [
        'nics[1].interfaceName: duplicate interfaceName "eth1": each NIC may appear once',
        'nics[1].podInterface: duplicate podInterface "net1-0": each NIC may appear once',
      ],
    },
    {
      bad: 'more requested ips than two (one per family) per NIC',
      value: { ...allocate, ips: ['192.168.0.9', '192.168.64.9', 'fd00::9', 'fd00:1::9', '192.168.0.10'] },
      expected: ['ips: asks for 5 addresses but only 2 NICs were selected: one address per NIC and IP family'],
    },
    {
      bad: 'no container id',
      value: { ...allocate, containerID: '' },
      expected: ['containerID: must not be empty (CNI_CONTAINERID)'],
    },
    {
      bad: 'pod interface name too long',
      value: { ...allocate, nics: [{ ...nics[0], podInterface: 'net1-0123456789ab' }] },
      expected: ['nics[0].podInterface: must be at most 15 characters (a Linux interface name)'],
    },
  ])('rejects an allocate request with $bad', ({ value, expected }) => {
    expect(problems(AllocateRequestSchema, value)).toEqual(expected);
  });

  it.each([
    {
      bad: 'otherFamily of the same family as address',
      other: { address: '192.168.1.9/18', podCIDR: '192.168.1.0/24', vlanCIDR: '192.168.0.0/18', ippool: 'p2' },
      expected: [
        "otherFamily.address: 192.168.1.9/18 is of the same family as address 192.168.0.9/18: otherFamily holds the other IP family's address",
      ],
    },
    {
      bad: 'otherFamily without its pool',
      other: { address: 'fd00::9/64', podCIDR: 'fd00::/64', vlanCIDR: 'fd00::/64' },
      expected: ['otherFamily.ippool: is required'],
    },
  ])('rejects an allocation with $bad', ({ other, expected }) => {
    const allocation = {
      interfaceName: 'eth1',
      podInterface: 'net1-0',
      address: '192.168.0.9/18',
      podCIDR: '192.168.0.0/24',
      vlanCIDR: '192.168.0.0/18',
      ippool: 'p1',
      otherFamily: other,
    };
    expect(
      problems(LookupResponseSchema, { allocations: [allocation] }).map((p) => p.replace(/^allocations\[0\]\./, '')),
    ).toEqual(expected);
  });

  it.each([
    {
      bad: 'no pod UID (nothing may free "any" attachment)',
      value: { network: 'n', containerID: 'c0ffee', ifname: 'net1' },
      expected: ['podUID: is required'],
    },
    {
      bad: 'an empty pod UID',
      value: { network: 'n', containerID: 'c0ffee', ifname: 'net1', podUID: '' },
      expected: [
        'podUID: is required: the agent releases an attachment only for the pod that holds it (K8S_POD_UID in CNI_ARGS)',
      ],
    },
  ])('rejects a release request with $bad', ({ value, expected }) => {
    expect(problems(ReleaseRequestSchema, value)).toEqual(expected);
  });
});
