import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { computePlan } from '@multinic/cidr-core';
import { MAX_BLOCK_BITS, MultiNicNetworkSchema } from './multinicnetwork.js';
import { formatProblem, parseWith } from './problems.js';

type Doc = Record<string, unknown>;

const base = (spec: Doc = {}): Doc => ({
  apiVersion: 'multinic.dev/v1',
  kind: 'MultiNicNetwork',
  metadata: { name: 'multinic-ipvlanl3' },
  spec: {
    subnet: '192.168.0.0/16',
    ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2, vlanMode: 'l3' },
    multiNICIPAM: true,
    plugin: { cniVersion: '0.3.0', type: 'ipvlan', args: { mode: 'l3' } },
    masterNets: ['10.0.1.0/24', '10.0.2.0/24'],
    ...spec,
  },
});

function problems(doc: unknown): string[] {
  const r = parseWith(MultiNicNetworkSchema, doc);
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe('MultiNicNetwork: multi-nic-cni manifests apply after changing apiVersion only', () => {
  // The samples of multi-nic-cni's config/samples/multinicnetwork, with apiVersion changed.
  it.each([
    {
      sample: 'ipvlanl3',
      spec: {
        subnet: '192.168.0.0/16',
        ipam: '{\n  "type": "multi-nic-ipam",\n  "hostBlock": 8, \n  "interfaceBlock": 2,\n  "vlanMode": "l3"\n}\n',
        multiNICIPAM: true,
        plugin: { cniVersion: '0.3.0', type: 'ipvlan', args: { mode: 'l3' } },
      },
    },
    {
      sample: 'sriov',
      spec: {
        subnet: '172.34.0.0/16',
        ipam: '{"type":"multi-nic-ipam","hostBlock":8,"interfaceBlock":2,"vlanMode":"l2"}',
        multiNICIPAM: true,
        plugin: { cniVersion: '0.3.0', type: 'sriov', args: { numVfs: '2', isRdma: 'true' } },
        masterNets: ['10.10.1.0/24', '10.10.2.0/24', '10.10.3.0/24', '10.10.4.0/24'],
      },
    },
    {
      sample: 'mellanox host-device (host-subnet mode)',
      spec: {
        subnet: '',
        ipam: '{ "type": "host-device-ipam" }',
        multiNICIPAM: false,
        plugin: { cniVersion: '0.3.1', type: 'mellanox' },
      },
    },
    {
      sample: 'macvlan + whereabouts',
      spec: {
        subnet: '192.168.0.0/16',
        ipam: '{ "type": "whereabouts" }',
        multiNICIPAM: false,
        plugin: { cniVersion: '0.3.0', type: 'macvlan' },
        masterNets: ['172.31.32.0/20'],
      },
    },
  ])('accepts $sample', ({ spec }) => {
    const doc = {
      apiVersion: 'multinic.dev/v1',
      kind: 'MultiNicNetwork',
      metadata: { name: 'sample', namespace: 'default' },
      spec,
    };
    expect(problems(doc)).toEqual([]);
  });

  it('normalises the JSON-string ipam to the object', () => {
    const fromString = parseWith(
      MultiNicNetworkSchema,
      base({ ipam: '{"type":"multi-nic-ipam","hostBlock":6,"interfaceBlock":2,"vlanMode":"l3"}' }),
    );
    const fromObject = parseWith(MultiNicNetworkSchema, base());
    expect(fromString.ok && fromObject.ok).toBe(true);
    if (fromString.ok && fromObject.ok) {
      expect(fromString.value.spec.ipam).toEqual({
        type: 'multi-nic-ipam',
        hostBlock: 6,
        interfaceBlock: 2,
        vlanMode: 'l3',
      });
      expect(fromString.value).toEqual(fromObject.value);
    }
  });

  it('keeps IPAM keys of other plugins (whereabouts range) and plugin args', () => {
    const r = parseWith(
      MultiNicNetworkSchema,
      base({ ipam: { type: 'whereabouts', range: '10.9.0.0/16' }, multiNICIPAM: false }),
    );
    expect(r.ok && r.value.spec.ipam).toEqual({ type: 'whereabouts', range: '10.9.0.0/16' });
  });

  it('normalises the legacy devClass strategy to nicClass', () => {
    const r = parseWith(MultiNicNetworkSchema, base({ attachPolicy: { strategy: 'devClass' } }));
    expect(r.ok && r.value.spec.attachPolicy?.strategy).toBe('nicClass');
  });

  it.each([
    { subnet: '192.168.0.0/16', interfaceBlock: 2, hostBlock: 12 },
    { subnet: 'fd00:10::/64', interfaceBlock: 8, hostBlock: 32 },
    { subnet: '10.0.0.0/8', interfaceBlock: 0, hostBlock: 0 },
    // Large IPv6 prefixes (issue 15): /64 host blocks of a /48, /56 interface blocks, a /32 with 24 bits of blocks,
    // and a /120 down to /127 pod blocks.
    { subnet: 'fd00:1:2::/48', interfaceBlock: 8, hostBlock: 8 },
    { subnet: 'fd00:1::/32', interfaceBlock: 24, hostBlock: 0 },
    { subnet: 'fd00:1::/32', interfaceBlock: 8, hostBlock: 16 },
    { subnet: 'fd00:1::/32', interfaceBlock: 32, hostBlock: 32 },
    { subnet: 'fd00::ab00/120', interfaceBlock: 4, hostBlock: 3 },
  ])('accepts blocks that fit: $subnet I=$interfaceBlock H=$hostBlock', ({ subnet, interfaceBlock, hostBlock }) => {
    expect(problems(base({ subnet, ipam: { type: 'multi-nic-ipam', interfaceBlock, hostBlock } }))).toEqual([]);
  });
});

describe('MultiNicNetwork rejections name the field and say what to do', () => {
  it.each([
    {
      bad: 'hostBlock out of range',
      spec: { ipam: { type: 'multi-nic-ipam', hostBlock: 33, interfaceBlock: 2 } },
      expected: ['spec.ipam.hostBlock: must be an integer from 0 to 32'],
    },
    {
      bad: 'hostBlock not an integer (string form)',
      spec: { ipam: '{"type":"multi-nic-ipam","hostBlock":6.5,"interfaceBlock":2}' },
      expected: ['spec.ipam.hostBlock: must be an integer from 0 to 32'],
    },
    {
      bad: 'blocks that do not fit the subnet',
      spec: { subnet: '192.168.0.0/24', ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2 } },
      expected: [
        'spec.ipam: interfaceBlock 2 + hostBlock 6 do not fit subnet 192.168.0.0/24: pod blocks would be /32, and an IPv4 pod block must be at most /30 to hold a pod address; lower hostBlock to at most 4 (or interfaceBlock), or use a larger subnet',
      ],
    },
    {
      bad: 'IPv6 blocks that do not fit',
      spec: { subnet: 'fd00::/100', ipam: { type: 'multi-nic-ipam', hostBlock: 20, interfaceBlock: 8 } },
      expected: [
        'spec.ipam: interfaceBlock 8 + hostBlock 20 do not fit subnet fd00::/100: pod blocks would be /128, and an IPv6 pod block must be at most /127 to hold a pod address; lower hostBlock to at most 19 (or interfaceBlock), or use a larger subnet',
      ],
    },
    {
      bad: 'IPv4 blocks that leave /31 pod blocks (no address besides network and broadcast)',
      spec: { subnet: '192.168.0.0/24', ipam: { type: 'multi-nic-ipam', hostBlock: 4, interfaceBlock: 3 } },
      expected: [
        'spec.ipam: interfaceBlock 3 + hostBlock 4 do not fit subnet 192.168.0.0/24: pod blocks would be /31, and an IPv4 pod block must be at most /30 to hold a pod address; lower hostBlock to at most 3 (or interfaceBlock), or use a larger subnet',
      ],
    },
    {
      bad: 'an IPv6 interfaceBlock that alone does not fit',
      spec: { subnet: 'fd00::ab00/120', ipam: { type: 'multi-nic-ipam', hostBlock: 0, interfaceBlock: 8 } },
      expected: [
        'spec.ipam: interfaceBlock 8 + hostBlock 0 do not fit subnet fd00::ab00/120: pod blocks would be /128, and an IPv6 pod block must be at most /127 to hold a pod address; lower interfaceBlock to at most 7 and hostBlock to 0, or use a larger subnet',
      ],
    },
    {
      bad: 'multi-nic-ipam without blocks',
      spec: { ipam: { type: 'multi-nic-ipam' } },
      expected: [
        'spec.ipam.interfaceBlock: is required when subnet is set (bits of the NIC network index)',
        'spec.ipam.hostBlock: is required when subnet is set (bits of the host index)',
      ],
    },
    {
      bad: 'unknown vlanMode',
      spec: { ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2, vlanMode: 'l4' } },
      expected: ['spec.ipam.vlanMode: must be one of "l2", "l3", "l3s"'],
    },
    {
      bad: 'ipam text that is not JSON',
      spec: { ipam: '{type: multi-nic-ipam}' },
      expected: [
        'spec.ipam: is a string but not valid JSON: write the IPAM settings as an object, or as valid JSON text',
      ],
    },
    {
      bad: 'ipam a number',
      spec: { ipam: 5 },
      expected: ['spec.ipam: must be an object (a map of fields), not number 5'],
    },
    {
      bad: 'ipam without type',
      spec: { ipam: { hostBlock: 6, interfaceBlock: 2 } },
      expected: ['spec.ipam.type: is required (the IPAM plugin, e.g. "multi-nic-ipam")'],
    },
    {
      bad: 'subnet with host bits',
      spec: { subnet: '192.168.1.0/16' },
      expected: ['spec.subnet: has host bits set: use 192.168.0.0/16 (or "" for host-subnet mode)'],
    },
    {
      bad: 'the whole IPv4 space (issue 23: pools 0.0.0.0/8, 1.0.0.0/8, … and a route hiding half of IPv4)',
      spec: { subnet: '0.0.0.0/0', ipam: { type: 'multi-nic-ipam', hostBlock: 8, interfaceBlock: 1 } },
      expected: [
        'spec.subnet: overlaps 0.0.0.0/8 ("this network" (RFC 1122)), which can never hold pod addresses: choose a private range such as 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or fd00::/8',
      ],
    },
    ...[
      ['127.0.0.0/16', '127.0.0.0/8 (loopback)'],
      ['169.254.0.0/16', '169.254.0.0/16 (link-local)'],
      ['224.0.0.0/8', '224.0.0.0/4 (multicast)'],
      ['192.0.0.0/2', '224.0.0.0/4 (multicast)'],
      ['255.255.0.0/16', '240.0.0.0/4 (reserved for future use, and the broadcast address)'],
      ['::/64', '::/8 (reserved by the IETF (unspecified, loopback, IPv4-mapped))'],
      ['fe80::/64', 'fe80::/10 (link-local)'],
      ['ff02::/16', 'ff00::/8 (multicast)'],
    ].map(([subnet, named]) => ({
      bad: `reserved subnet ${subnet}`,
      spec: { subnet },
      expected: [
        `spec.subnet: overlaps ${named}, which can never hold pod addresses: choose a private range such as 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or fd00::/8`,
      ],
    })),
    {
      bad: 'subnet not a prefix',
      spec: { subnet: '192.168.0.0' },
      expected: [
        'spec.subnet: must be an IPv4 or IPv6 prefix such as 10.0.1.0/24, not "192.168.0.0" (or "" for host-subnet mode)',
      ],
    },
    {
      bad: 'leading zeros are not an address',
      spec: { masterNets: ['10.0.01.0/24'] },
      expected: ['spec.masterNets[0]: must be an IPv4 or IPv6 prefix such as 10.0.1.0/24, not "10.0.01.0/24"'],
    },
    {
      bad: 'duplicate master network',
      spec: { masterNets: ['10.0.1.0/24', '10.0.1.0/24'] },
      expected: ['spec.masterNets[1]: duplicate entry "10.0.1.0/24": list it once'],
    },
    {
      bad: 'exclude outside the subnet',
      spec: { ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2, excludeCIDRs: ['10.0.0.0/24'] } },
      expected: [
        'spec.ipam.excludeCIDRs[0]: 10.0.0.0/24 lies outside subnet 192.168.0.0/16: remove it or fix the prefix',
      ],
    },
    { bad: 'missing plugin', spec: { plugin: undefined }, expected: ['spec.plugin: is required'] },
    {
      bad: 'unsupported cniVersion',
      spec: { plugin: { cniVersion: '0.2.0', type: 'ipvlan' } },
      expected: ['spec.plugin.cniVersion: must be one of "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"'],
    },
    {
      bad: 'plugin without cniVersion',
      spec: { plugin: { type: 'ipvlan' } },
      expected: ['spec.plugin.cniVersion: is required'],
    },
    {
      bad: 'plugin type with a path',
      spec: { plugin: { cniVersion: '1.0.0', type: '/opt/cni/bin/ipvlan' } },
      expected: [
        'spec.plugin.type: must be a CNI plugin executable name such as ipvlan, macvlan, host-device or sriov',
      ],
    },
    {
      bad: 'unknown strategy',
      spec: { attachPolicy: { strategy: 'fastest' } },
      expected: [
        'spec.attachPolicy.strategy: must be one of "none", "costOpt", "perfOpt", "topology", "nicClass", "selector", "firstAvailable", "devClass"',
      ],
    },
    {
      bad: 'costOpt without target',
      spec: { attachPolicy: { strategy: 'costOpt' } },
      expected: ['spec.attachPolicy.target: is required for the costOpt strategy (a bandwidth such as 100Gbps)'],
    },
    {
      bad: 'malformed target',
      spec: { attachPolicy: { strategy: 'perfOpt', target: '100 gbit' } },
      expected: ['spec.attachPolicy.target: must be a bandwidth such as 100Gbps, 400Mbps (K, M, G or T)'],
    },
    {
      bad: 'selector strategy without selector',
      spec: { attachPolicy: { strategy: 'selector' } },
      expected: ['spec.attachPolicy.selector: is required for the selector strategy'],
    },
    {
      bad: 'firstAvailable without alternatives',
      spec: { attachPolicy: { strategy: 'firstAvailable' } },
      expected: [
        'spec.attachPolicy.alternatives: is required for the firstAvailable strategy (the policies to try, in order)',
      ],
    },
    {
      bad: 'nested firstAvailable',
      spec: { attachPolicy: { strategy: 'firstAvailable', alternatives: [{ strategy: 'firstAvailable' }] } },
      expected: ['spec.attachPolicy.alternatives[0].strategy: alternatives cannot themselves be firstAvailable'],
    },
    {
      bad: 'alternatives on another strategy',
      spec: { attachPolicy: { strategy: 'none', alternatives: [{ strategy: 'none' }] } },
      expected: ['spec.attachPolicy.alternatives: is only allowed with the firstAvailable strategy'],
    },
    {
      bad: 'zero NICs',
      spec: { attachPolicy: { strategy: 'none', nics: 0 } },
      expected: ['spec.attachPolicy.nics: must be an integer from 1 to 64 (how many NICs a pod gets)'],
    },
    {
      bad: 'namespace that is not a DNS label',
      spec: { namespaces: ['Team_A'] },
      expected: [
        "spec.namespaces[0]: must be a DNS-1123 label (a namespace name): lower-case letters, digits and '-', starting and ending with a letter or digit",
      ],
    },
    {
      bad: 'a misspelt field',
      spec: { masterNet: ['10.0.1.0/24'] },
      expected: ['spec: unknown field "masterNet": remove it or check the spelling'],
    },
  ])('rejects $bad', ({ spec, expected }) => {
    expect(problems(base(spec))).toEqual(expected);
  });

  it.each([
    {
      bad: 'wrong apiVersion',
      doc: { ...base(), apiVersion: 'multinic.fms.io/v1' },
      expected: ['apiVersion: must be "multinic.dev/v1"'],
    },
    { bad: 'wrong kind', doc: { ...base(), kind: 'Network' }, expected: ['kind: must be "MultiNicNetwork"'] },
    { bad: 'no name', doc: { ...base(), metadata: {} }, expected: ['metadata.name: is required'] },
    { bad: 'no spec', doc: { ...base(), spec: undefined }, expected: ['spec: is required'] },
  ])('rejects $bad', ({ doc, expected }) => {
    expect(problems(doc)).toEqual(expected);
  });
});

describe('MultiNicNetwork laws', () => {
  const ipamArb = fc.record(
    {
      type: fc.constantFrom('multi-nic-ipam', 'whereabouts', 'host-local'),
      hostBlock: fc.integer({ min: 0, max: 8 }),
      interfaceBlock: fc.integer({ min: 0, max: 4 }),
      vlanMode: fc.constantFrom('l2', 'l3', 'l3s'),
      excludeCIDRs: fc
        .array(
          fc.integer({ min: 0, max: 255 }).map((n) => `192.168.${n}.0/24`),
          { maxLength: 3 },
        )
        .map((l) => [...new Set(l)]),
    },
    { requiredKeys: ['type'] },
  );

  it('the JSON-string ipam and the object parse to the same network', () => {
    fc.assert(
      fc.property(ipamArb, (ipam) => {
        const a = parseWith(MultiNicNetworkSchema, base({ ipam }));
        const b = parseWith(MultiNicNetworkSchema, base({ ipam: JSON.stringify(ipam, null, 2) }));
        expect(b).toEqual(a);
      }),
    );
  });

  it('parsing is idempotent: a parsed network parses to itself (round trip through JSON)', () => {
    fc.assert(
      fc.property(ipamArb, fc.option(fc.constantFrom('none', 'devClass', 'topology')), (ipam, strategy) => {
        const first = parseWith(
          MultiNicNetworkSchema,
          base({ ipam, ...(strategy === null ? {} : { attachPolicy: { strategy } }) }),
        );
        if (!first.ok) return;
        const second = parseWith(MultiNicNetworkSchema, JSON.parse(JSON.stringify(first.value)));
        expect(second).toEqual(first);
      }),
    );
  });

  it('blocks are accepted exactly when cidr-core can plan them: pod blocks at most /30 (IPv4) or /127 (IPv6)', () => {
    const sizes = fc.oneof(
      fc.record({ family: fc.constant(4 as const), len: fc.integer({ min: 8, max: 30 }) }),
      fc.record({ family: fc.constant(6 as const), len: fc.integer({ min: 32, max: 120 }) }),
    );
    const bits = fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: MAX_BLOCK_BITS }));
    fc.assert(
      fc.property(sizes, bits, bits, ({ family, len }, i, h) => {
        const subnet = family === 4 ? `10.0.0.0/${len}` : `fd00::/${len}`;
        const parsed = parseWith(
          MultiNicNetworkSchema,
          base({ subnet, ipam: { type: 'multi-nic-ipam', interfaceBlock: i, hostBlock: h } }),
        );
        const config = { subnet, interfaceBlock: i, hostBlock: h, masterNets: [], excludeCIDRs: [] };
        const planned = computePlan({ networkName: 'n', config, hosts: [] });
        expect(parsed.ok).toBe(len + i + h <= (family === 4 ? 30 : 127));
        expect(parsed.ok).toBe(planned.problems.length === 0);
      }),
    );
  });
});

describe('MultiNicNetwork spec.subnets (dual-stack, ADR 0006)', () => {
  const dual = (subnets: unknown, spec: Doc = {}): Doc => base({ subnet: undefined, subnets, ...spec });

  it('accepts one IPv4 and one IPv6 subnet, each with its own blocks or ipam blocks', () => {
    const parsed = parseWith(
      MultiNicNetworkSchema,
      dual([{ cidr: '192.168.0.0/16' }, { cidr: 'fd00:10::/48', interfaceBlock: 8, hostBlock: 8 }]),
    );
    expect(parsed.ok).toBe(true);
    expect(parsed.ok && parsed.value.spec.subnets).toEqual([
      { cidr: '192.168.0.0/16' },
      { cidr: 'fd00:10::/48', interfaceBlock: 8, hostBlock: 8 },
    ]);
  });

  it.each([
    {
      bad: 'two subnets of one family',
      subnets: [{ cidr: '192.168.0.0/16' }, { cidr: '172.16.0.0/16' }],
      spec: {},
      problem:
        'spec.subnets[1].cidr: is a second IPv4 subnet: subnets takes one IPv4 and one IPv6 subnet; remove one, or use a larger subnet of that family',
    },
    {
      bad: 'both subnet and subnets',
      subnets: [{ cidr: 'fd00:10::/48', interfaceBlock: 8, hostBlock: 8 }],
      spec: { subnet: '192.168.0.0/16' },
      problem:
        'spec.subnets: set subnet or subnets, not both: move subnet into subnets (as {cidr: ...}) or drop subnets',
    },
    {
      bad: 'an IPv6 host block that does not fit its subnet (its own blocks)',
      subnets: [{ cidr: '192.168.0.0/16' }, { cidr: 'fd00:10::/120', interfaceBlock: 2, hostBlock: 6 }],
      spec: {},
      problem:
        'spec.subnets[1]: interfaceBlock 2 + hostBlock 6 do not fit subnets[1] fd00:10::/120: pod blocks would be /128, and an IPv6 pod block must be at most /127 to hold a pod address; lower hostBlock to at most 5 (or interfaceBlock), or use a larger subnet',
    },
    {
      bad: "an IPv4 subnet too small for ipam's blocks",
      subnets: [{ cidr: '192.168.0.0/26' }, { cidr: 'fd00:10::/48', interfaceBlock: 8, hostBlock: 8 }],
      spec: {},
      problem:
        'spec.ipam: interfaceBlock 2 + hostBlock 6 do not fit subnets[0] 192.168.0.0/26: pod blocks would be /34, and an IPv4 pod block must be at most /30 to hold a pod address; lower hostBlock to at most 2 (or interfaceBlock), or use a larger subnet',
    },
    {
      bad: 'a block in neither the entry nor ipam',
      subnets: [{ cidr: 'fd00:10::/48', interfaceBlock: 8 }],
      spec: { ipam: { type: 'multi-nic-ipam' } },
      problem:
        'spec.subnets[0].hostBlock: is required for fd00:10::/48 (bits of the host index): set subnets[0].hostBlock or ipam.hostBlock',
    },
    {
      bad: 'a reserved subnet',
      subnets: [{ cidr: 'fe80::/10', interfaceBlock: 8, hostBlock: 8 }],
      spec: {},
      problem:
        'spec.subnets[0].cidr: overlaps fe80::/10 (link-local), which can never hold pod addresses: choose a private range such as 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or fd00::/8',
    },
    {
      bad: 'three subnets',
      subnets: [{ cidr: '192.168.0.0/16' }, { cidr: 'fd00:10::/48' }, { cidr: 'fd00:11::/48' }],
      spec: {},
      problem: 'spec.subnets: must have at most 2 pod subnets (one IPv4 and one IPv6 at most)',
    },
    {
      bad: 'an exclude in neither subnet',
      subnets: [{ cidr: '192.168.0.0/16' }, { cidr: 'fd00:10::/48', interfaceBlock: 8, hostBlock: 8 }],
      spec: { ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2, excludeCIDRs: ['fd00:11::/64'] } },
      problem:
        'spec.ipam.excludeCIDRs[0]: fd00:11::/64 lies outside subnets 192.168.0.0/16 and fd00:10::/48: remove it or fix the prefix',
    },
  ])('refuses $bad, naming the field and the fix', ({ subnets, spec, problem }) => {
    expect(problems(dual(subnets, spec))).toContain(problem);
  });
});
