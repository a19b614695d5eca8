import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  formatNetworksAnnotation,
  NetworkAttachmentDefinitionSchema,
  parseNetworksAnnotation,
  parseNetworkStatusAnnotation,
} from './multus.js';
import { formatProblem, parseWith } from './problems.js';
import type { ParseResult } from './problems.js';

function problemsOf<T>(r: ParseResult<T>): string[] {
  return r.ok ? [] : r.problems.map(formatProblem);
}

// Examples of the Network Plumbing WG "Kubernetes Network Custom Resource Definition De-facto Standard",
// sections 4.1.1, 4.1.2, 4.1.2.1.3.1, 4.1.2.1.4.1 and 4.2.2 (pod in namespace my-namespace).
describe('k8s.v1.cni.cncf.io/networks: the spec examples', () => {
  it.each([
    {
      section: '4.1.1 comma-delimited',
      text: 'net-a,net-b,other-ns/net-c',
      expected: [
        { name: 'net-a', namespace: 'my-namespace' },
        { name: 'net-b', namespace: 'my-namespace' },
        { name: 'net-c', namespace: 'other-ns' },
      ],
    },
    {
      section: '4.2.2 same network twice',
      text: 'net-a,net-a',
      expected: [
        { name: 'net-a', namespace: 'my-namespace' },
        { name: 'net-a', namespace: 'my-namespace' },
      ],
    },
    {
      section: 'Multus @interface',
      text: 'other-ns/net-c@eth9, net-a',
      expected: [
        { name: 'net-c', namespace: 'other-ns', interface: 'eth9' },
        { name: 'net-a', namespace: 'my-namespace' },
      ],
    },
    { section: 'empty annotation', text: '', expected: [] },
  ])('$section', ({ text, expected }) => {
    expect(parseNetworksAnnotation(text, 'my-namespace')).toEqual({ ok: true, value: expected });
  });

  it('4.1.2 JSON list format', () => {
    const text = `[
        {"name":"net-a"},
        {
          "name":"net-b",
          "ips": ["1.2.3.4"],
          "mac": "aa:bb:cc:dd:ee:ff"
        },
        {
          "name":"net-c",
          "namespace":"other-ns"
        }
      ]`;
    const r = parseNetworksAnnotation(text, 'my-namespace');
    expect(r.ok && r.value.map(({ raw: _raw, ...s }) => s)).toEqual([
      { name: 'net-a', namespace: 'my-namespace' },
      { name: 'net-b', namespace: 'my-namespace', ips: ['1.2.3.4'], mac: 'aa:bb:cc:dd:ee:ff' },
      { name: 'net-c', namespace: 'other-ns' },
    ]);
  });

  it.each([
    {
      section: '4.1.2.1.3.1 ips',
      text: '[{"name":"net-b","ips": ["10.2.2.42", "2001:db8::5"]}]',
      expected: { name: 'net-b', namespace: 'my-namespace', ips: ['10.2.2.42', '2001:db8::5'] },
    },
    {
      section: '4.1.2.1.4.1 mac',
      text: '[{"name":"net-b","mac": "02:23:45:67:89:01"}]',
      expected: { name: 'net-b', namespace: 'my-namespace', mac: '02:23:45:67:89:01' },
    },
    {
      section: 'interface, default-route and cni-args (multi-nic-cni policy args)',
      text: '[{"name":"multi-nic-sample","interface":"net1","default-route":["192.168.0.1"],"cni-args":{"nics":1,"master":["eth1"],"class":"highspeed"}}]',
      expected: {
        name: 'multi-nic-sample',
        namespace: 'my-namespace',
        interface: 'net1',
        defaultRoute: ['192.168.0.1'],
        cniArgs: { nics: 1, master: ['eth1'], class: 'highspeed' },
      },
    },
    {
      section: "Multus' deviceID (passed to the delegate as runtimeConfig.deviceID and top-level deviceID/pciBusID)",
      text: '[{"name":"sriov-net","interface":"rail","deviceID":"0000:3b:00.2"}]',
      expected: { name: 'sriov-net', namespace: 'my-namespace', interface: 'rail' },
    },
    {
      section: 'static IPAM style address with prefix',
      text: '[{"name":"macvlan-conf","ips":["10.1.1.11/24"]}]',
      expected: { name: 'macvlan-conf', namespace: 'my-namespace', ips: ['10.1.1.11/24'] },
    },
    {
      section: 'reverse-domain keys are kept',
      text: '[{"name":"net-a","org.example.weight":3}]',
      expected: { name: 'net-a', namespace: 'my-namespace' },
    },
  ])('$section', ({ text, expected }) => {
    const r = parseNetworksAnnotation(text, 'my-namespace');
    expect(r.ok && r.value.map(({ raw: _raw, ...s }) => s)).toEqual([expected]);
  });
});

describe('k8s.v1.cni.cncf.io/networks: rejections', () => {
  it.each([
    {
      bad: 'upper-case name',
      text: 'Net-A',
      expected: [
        '[0]: network name "Net-A" in "Net-A" must be a DNS-1123 label (lower-case letters, digits, \'-\'); use the JSON form for other interface names',
      ],
    },
    {
      bad: 'two slashes',
      text: 'a/b/c',
      expected: ['[0]: "a/b/c" has more than one \'/\': write [namespace/]name[@interface]'],
    },
    {
      bad: 'two @',
      text: 'net@a@b',
      expected: ['[0]: "net@a@b" has more than one \'@\': write [namespace/]name[@interface]'],
    },
    {
      bad: 'missing name',
      text: 'ns/@eth1',
      expected: ['[0]: "ns/@eth1" has no network name: write [namespace/]name[@interface]'],
    },
    { bad: 'dangling comma', text: 'net-a,,net-b', expected: ['[1]: empty entry: remove the extra comma'] },
    {
      bad: 'JSON that does not parse',
      text: '[{"name": net-a}]',
      expected: [] as string[],
      startsWith: "looks like JSON (it contains '[', '{' or '\"') but does not parse",
    },
    {
      bad: 'a single JSON object',
      text: '{"name":"net-a"}',
      expected: ['the JSON form must be a list of objects: wrap it in [ ]'],
    },
    { bad: 'JSON without name', text: '[{"namespace":"x"}]', expected: ['[0].name: is required'] },
    {
      bad: 'empty ips',
      text: '[{"name":"a","ips":[]}]',
      expected: ['[0].ips: must list at least one address when present'],
    },
    {
      bad: 'invalid requested ip',
      text: '[{"name":"a","ips":["10.1.1"]}]',
      expected: ['[0].ips[0]: must be an IPv4 or IPv6 address (optionally with prefix length), not "10.1.1"'],
    },
    {
      bad: 'invalid mac',
      text: '[{"name":"a","mac":"02:23:45:67:89"}]',
      expected: ['[0].mac: must be a MAC address such as 02:42:ac:11:00:02 (6 bytes, or 20 bytes for InfiniBand)'],
    },
    {
      bad: 'interface name too long',
      text: '[{"name":"a","interface":"averyveryverylongname"}]',
      expected: ['[0].interface: must be at most 15 characters (a Linux interface name)'],
    },
    {
      bad: 'unknown reserved key',
      text: '[{"name":"a","ip":["10.1.1.1"]}]',
      expected: [
        '[0].ip: unknown key: keys without a "." are reserved by the Network Plumbing WG spec; check the spelling or use a reverse-domain name',
      ],
    },
  ])('rejects $bad', ({ text, expected, startsWith }) => {
    const problems = problemsOf(parseNetworksAnnotation(text, 'my-namespace'));
    if (startsWith === undefined) expect(problems).toEqual(expected);
    else expect(problems[0]?.startsWith(startsWith)).toBe(true);
  });
});

describe('k8s.v1.cni.cncf.io/networks laws', () => {
  const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?$/);
  const selection = fc.record({
    name: label,
    namespace: fc.option(label, { nil: undefined }),
    interface: fc.option(label, { nil: undefined }),
  });

  it('short form: parse ∘ format is the identity', () => {
    fc.assert(
      fc.property(fc.array(selection, { minLength: 1, maxLength: 5 }), (items) => {
        const selections = items.map((s) => ({
          name: s.name,
          namespace: s.namespace ?? 'pod-ns',
          ...(s.interface === undefined ? {} : { interface: s.interface }),
        }));
        const text = formatNetworksAnnotation(selections, 'pod-ns');
        expect(text.startsWith('[')).toBe(false);
        expect(parseNetworksAnnotation(text, 'pod-ns')).toEqual({ ok: true, value: selections });
      }),
    );
  });

  it('JSON form: parse ∘ format ∘ parse = parse', () => {
    fc.assert(
      fc.property(
        fc.array(selection, { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 254 }), { minLength: 1, maxLength: 2 }),
        (items, octets) => {
          const text = JSON.stringify(items.map((s) => ({ ...s, ips: octets.map((o) => `10.0.0.${o}`) })));
          const first = parseNetworksAnnotation(text, 'pod-ns');
          expect(first.ok).toBe(true);
          if (!first.ok) return;
          const again = parseNetworksAnnotation(formatNetworksAnnotation(first.value, 'pod-ns'), 'pod-ns');
          expect(again.ok && again.value.map(({ raw: _r, ...s }) => s)).toEqual(
            first.value.map(({ raw: _r, ...s }) => s),
          );
        },
      ),
    );
  });
});

describe('k8s.v1.cni.cncf.io/network-status', () => {
  // As Multus writes it: IPs without prefix length, `gateway`, one default entry.
  const multusStatus = [
    {
      name: 'kindnet',
      interface: 'eth0',
      ips: ['10.244.1.5'],
      mac: 'aa:5f:7c:2e:11:03',
      default: true,
      dns: {},
      gateway: ['10.244.1.1'],
    },
    {
      name: 'default/multinic-ipvlanl3',
      interface: 'net1-0',
      ips: ['192.168.0.5'],
      mac: '0c:42:a1:5e:7b:10',
      mtu: 9000,
      dns: {},
    },
    {
      name: 'default/multinic-ipvlanl3',
      interface: 'net1-1',
      ips: ['192.168.64.5', 'fd00:64::5'],
      mac: '0c:42:a1:5e:7b:11',
      dns: { nameservers: ['10.0.0.10'] },
      'device-info': { type: 'pci', version: '1.1.0', pci: { 'pci-address': '0000:3b:00.2' } },
    },
  ];

  it('accepts what Multus writes', () => {
    expect(parseNetworkStatusAnnotation(JSON.stringify(multusStatus))).toEqual({ ok: true, value: multusStatus });
  });

  it.each([
    {
      bad: 'IPs with prefix length (the v1.0 spec example)',
      status: [{ ...multusStatus[0], ips: ['10.244.1.5/24'] }],
      expected: ['[0].ips[0]: must be an address without prefix length (10.244.1.5), as Multus writes it'],
    },
    {
      bad: 'no default entry',
      status: multusStatus.slice(1),
      expected: ['must contain one entry with "default": true (the cluster network)'],
    },
    {
      bad: 'two default entries',
      status: [multusStatus[0], { ...multusStatus[1], default: true }],
      expected: ['[1].default: only one entry may be the cluster default network (entry 0 already is)'],
    },
    {
      bad: 'gateways (plural key)',
      status: [{ ...multusStatus[0], gateway: '10.244.1.1' }],
      expected: ['[0].gateway: must be a list, not the string "10.244.1.1"'],
    },
    {
      bad: 'mac without interface',
      status: [{ name: 'kindnet', default: true, mac: 'aa:5f:7c:2e:11:03' }],
      expected: ['[0].interface: is required when mac is set'],
    },
  ])('rejects $bad', ({ status, expected }) => {
    expect(problemsOf(parseNetworkStatusAnnotation(JSON.stringify(status)))).toEqual(expected);
  });
});

describe('NetworkAttachmentDefinition', () => {
  const nad = (config?: string): unknown => ({
    apiVersion: 'k8s.cni.cncf.io/v1',
    kind: 'NetworkAttachmentDefinition',
    metadata: { name: 'a-bridge-network', namespace: 'default' },
    ...(config === undefined ? {} : { spec: { config } }),
  });

  it.each([
    {
      example: '3.2.1 CNI config JSON',
      config:
        '{"cniVersion":"0.3.0","name":"a-bridge-network","type":"bridge","bridge":"br0","isGateway":true,"ipam":{"type":"host-local","subnet":"192.168.5.0/24","dataDir":"/mnt/cluster-ipam"}}',
    },
    {
      example: '3.2.2 configlist',
      config:
        '{"cniVersion":"0.3.0","name":"another-bridge-network","plugins":[{"type":"bridge","bridge":"br0","ipam":{"type":"host-local","subnet":"192.168.5.0/24"}},{"type":"port-forwarding"},{"type":"tuning","sysctl":{"net.ipv4.conf.all.log_martians":"1"}}]}',
    },
    { example: '3.2.3 thick plugin', config: '{"cniVersion":"0.3.0","type":"awesome-plugin"}' },
    { example: '3.2.4 implementation-specific reference', config: undefined },
  ])('accepts spec example $example', ({ config }) => {
    expect(parseWith(NetworkAttachmentDefinitionSchema, nad(config)).ok).toBe(true);
  });

  it.each([
    {
      bad: 'config that is not JSON',
      config: '{cniVersion: 0.3.0}',
      expected: 'spec.config: must be CNI configuration JSON',
    },
    {
      bad: 'config without cniVersion',
      config: '{"type":"bridge"}',
      expected: 'spec.config: the CNI configuration needs a "cniVersion" string',
    },
    {
      bad: 'config without type or plugins',
      config: '{"cniVersion":"1.0.0"}',
      expected: 'spec.config: the CNI configuration needs a "type" (one plugin) or a "plugins" list',
    },
  ])('rejects $bad', ({ config, expected }) => {
    const r = parseWith(NetworkAttachmentDefinitionSchema, nad(config));
    expect(r.ok ? [] : r.problems.map(formatProblem)[0]?.slice(0, expected.length)).toEqual(expected);
  });
});
