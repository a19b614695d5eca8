import { describe, expect, it } from '@jest/globals';
import type { MultiNicNetwork } from '@multinic/crd-types';
import {
  buildNetworkAttachmentDefinition,
  buildNetworkAttachmentDefinitions,
  nadConfig,
  needsHostRoutes,
  networkPlugin,
  parseMultiNicNetConf,
} from './nad.js';

function network(spec: Partial<MultiNicNetwork['spec']> = {}, name = 'multi-nic-net'): MultiNicNetwork {
  return {
    apiVersion: 'multinic.dev/v1',
    kind: 'MultiNicNetwork',
    metadata: { name },
    spec: {
      subnet: '192.168.0.0/16',
      masterNets: ['10.0.0.0/16'],
      ipam: { vlanMode: 'l3', type: 'multi-nic-ipam', interfaceBlock: 2, hostBlock: 6 },
      plugin: { cniVersion: '0.3.1', type: 'ipvlan' },
      ...spec,
    },
  };
}

describe('nadConfig', () => {
  it('has type multi-nic, the agent socket, the plugin and the ipam, in a fixed key order', () => {
    const r = nadConfig(network());
    expect(r.ok && JSON.stringify(r.value)).toBe(
      '{"cniVersion":"0.3.1","name":"multi-nic-net","type":"multi-nic","capabilities":{"deviceID":true,"ips":true},"subnet":"192.168.0.0/16","masterNets":["10.0.0.0/16"],' +
        '"multiNICIPAM":true,"agentSocket":"/run/multinic/agent.sock","plugin":{"cniVersion":"0.3.1","type":"ipvlan","mode":"l3"},' +
        '"ipam":{"hostBlock":6,"interfaceBlock":2,"type":"multi-nic-ipam","vlanMode":"l3"}}',
    );
  });

  it.each<{ case: string; spec: Partial<MultiNicNetwork['spec']>; socket?: string; fields: Record<string, unknown> }>`
    case                                | spec                                                                                                 | socket                | fields
    ${'host-subnet mode, another IPAM'} | ${{ subnet: undefined, masterNets: undefined, ipam: { type: 'whereabouts', range: '10.0.0.0/24' } }} | ${undefined}          | ${{ subnet: '', masterNets: [], multiNICIPAM: false, ipam: { range: '10.0.0.0/24', type: 'whereabouts' } }}
    ${'explicit multiNICIPAM wins'}     | ${{ multiNICIPAM: false }}                                                                           | ${undefined}          | ${{ multiNICIPAM: false }}
    ${'another socket'}                 | ${{}}                                                                                                | ${'/var/run/mn.sock'} | ${{ agentSocket: '/var/run/mn.sock' }}
    ${'dual-stack: the first subnet'}   | ${{ subnet: undefined, subnets: [{ cidr: 'fd00:10::/48' }, { cidr: '192.168.0.0/16' }] }}            | ${undefined}          | ${{ subnet: 'fd00:10::/48' }}
  `('$case', ({ spec, socket, fields }) => {
    const r = nadConfig(network(spec), socket === undefined ? {} : { agentSocket: socket });
    expect(r.ok && r.value).toMatchObject(fields);
  });

  it.each<{ type: string; args: Record<string, unknown>; capabilities: object }>`
    type             | args                        | capabilities
    ${'ipvlan'}      | ${{}}                       | ${{ deviceID: true, ips: true }}
    ${'aws-ipvlan'}  | ${{}}                       | ${{ deviceID: true, ips: true }}
    ${'host-device'} | ${{}}                       | ${{ deviceID: true, ips: true }}
    ${'macvlan'}     | ${{}}                       | ${{ deviceID: true, ips: true, mac: true }}
    ${'sriov'}       | ${{ resourceName: 'r/vf' }} | ${{ deviceID: true, ips: true, mac: true }}
  `(
    '$type: declares the capabilities the plugin honours (Multus passes only declared ones in runtimeConfig)',
    ({ type, args, capabilities }) => {
      const r = nadConfig(network({ plugin: { cniVersion: '1.0.0', type, args } }));
      expect(r.ok && r.value['capabilities']).toEqual(capabilities);
    },
  );

  it("networkPlugin: ipvlan's mode defaults to the network's vlanMode", () => {
    expect(networkPlugin(network())).toEqual({ ok: true, value: { cniVersion: '0.3.1', type: 'ipvlan', mode: 'l3' } });
  });

  it('names the field of a plugin error', () => {
    const r = nadConfig(network({ plugin: { cniVersion: '1.0.0', type: 'ipvlan', args: { mode: 'l4' } } }));
    expect(r).toEqual({ ok: false, error: 'spec.plugin.args.mode must be one of "l2", "l3", "l3s", not "l4"' });
  });
});

describe('NetworkAttachmentDefinitions', () => {
  it.each<{ type: string; args: Record<string, unknown>; annotations?: Record<string, string> }>`
    type             | args                                      | annotations
    ${'ipvlan'}      | ${{}}                                     | ${undefined}
    ${'macvlan'}     | ${{}}                                     | ${undefined}
    ${'host-device'} | ${{}}                                     | ${undefined}
    ${'host-device'} | ${{ resourceName: 'nvidia.com/hostdev' }} | ${{ 'k8s.v1.cni.cncf.io/resourceName': 'nvidia.com/hostdev' }}
    ${'sriov'}       | ${{ resourceName: 'openshift.io/vfs' }}   | ${{ 'k8s.v1.cni.cncf.io/resourceName': 'openshift.io/vfs' }}
  `('$type $args: resourceName annotation $annotations', ({ type, args, annotations }) => {
    const r = buildNetworkAttachmentDefinition(network({ plugin: { cniVersion: '1.0.0', type, args } }), 'default');
    expect(r.ok && r.value.metadata.annotations).toEqual(annotations);
    expect(r.ok && r.value.metadata.labels).toEqual({ 'multinic.dev/network': 'multi-nic-net' });
  });

  it('one per namespace: spec.namespaces, else the given ones; sorted and unique', () => {
    const listed = buildNetworkAttachmentDefinitions(network({ namespaces: ['b', 'a', 'b'] }), { namespaces: ['z'] });
    expect(listed.ok && listed.value.map((n) => n.metadata.namespace)).toEqual(['a', 'b']);
    const given = buildNetworkAttachmentDefinitions(network(), { namespaces: ['kube-system', 'default'] });
    expect(given.ok && given.value.map((n) => n.metadata.namespace)).toEqual(['default', 'kube-system']);
    expect(buildNetworkAttachmentDefinitions(network())).toEqual({
      ok: false,
      error: expect.stringContaining('set spec.namespaces'),
    });
  });

  it('a network name that is not a DNS label cannot name a NAD', () => {
    const r = buildNetworkAttachmentDefinition(network({}, 'net.v1'), 'default');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('metadata.name "net.v1" cannot name a NetworkAttachmentDefinition');
  });

  it('parseMultiNicNetConf accepts the declared capabilities and refuses a capabilities map that is not booleans', () => {
    const base = {
      type: 'multi-nic',
      cniVersion: '1.0.0',
      name: 'n',
      ipam: {},
      plugin: { cniVersion: '1.0.0', type: 'ipvlan' },
    };
    expect(parseMultiNicNetConf({ ...base, capabilities: { ips: true, deviceID: true } }).ok).toBe(true);
    expect(parseMultiNicNetConf({ ...base, capabilities: { ips: 'yes' } })).toEqual({
      ok: false,
      error: 'network config: capabilities must map capability names to true or false',
    });
  });

  it('parseMultiNicNetConf reads back what nadConfig writes', () => {
    const nad = buildNetworkAttachmentDefinition(
      network({
        ipam: {
          type: 'multi-nic-ipam',
          hostBlock: 6,
          interfaceBlock: 2,
          routes: [{ dst: '10.9.0.0/16', gw: '192.168.0.1' }],
        },
      }),
      'default',
    );
    const conf = parseMultiNicNetConf(JSON.parse(nad.ok ? (nad.value.spec?.config ?? '') : ''));
    expect(conf).toEqual({
      ok: true,
      value: {
        cniVersion: '0.3.1',
        name: 'multi-nic-net',
        type: 'multi-nic',
        subnet: '192.168.0.0/16',
        masterNets: ['10.0.0.0/16'],
        multiNICIPAM: true,
        agentSocket: '/run/multinic/agent.sock',
        plugin: { cniVersion: '0.3.1', type: 'ipvlan', mode: 'l2' },
        ipam: {
          hostBlock: 6,
          interfaceBlock: 2,
          routes: [{ dst: '10.9.0.0/16', gw: '192.168.0.1' }],
          type: 'multi-nic-ipam',
        },
        routes: [{ dst: '10.9.0.0/16', gw: '192.168.0.1' }],
      },
    });
  });

  it.each<{ case: string; conf: unknown; error: string }>`
    case                | conf                                                                                                                                                                 | error
    ${'not an object'}  | ${[]}                                                                                                                                                                | ${'network config: must be a JSON object'}
    ${'wrong type'}     | ${{ type: 'ipvlan' }}                                                                                                                                                | ${'network config: type must be "multi-nic", not "ipvlan"'}
    ${'bad version'}    | ${{ type: 'multi-nic', cniVersion: '0.2.0' }}                                                                                                                        | ${'cniVersion "0.2.0" is not supported'}
    ${'no ipam'}        | ${{ type: 'multi-nic', cniVersion: '1.0.0', name: 'n' }}                                                                                                             | ${'network config: ipam must be an object'}
    ${'bad masterNets'} | ${{ type: 'multi-nic', cniVersion: '1.0.0', name: 'n', ipam: {}, masterNets: 'x' }}                                                                                  | ${'masterNets must be a list of prefixes'}
    ${'bad plugin'}     | ${{ type: 'multi-nic', cniVersion: '1.0.0', name: 'n', ipam: {}, plugin: { cniVersion: '1.0.0', type: 'ipvlan', mode: 'x' } }}                                       | ${'network config: plugin.args.mode must be one of'}
    ${'bad routes'}     | ${{ type: 'multi-nic', cniVersion: '1.0.0', name: 'n', ipam: { routes: [{ gw: 1 }] }, plugin: { cniVersion: '1.0.0', type: 'ipvlan' } }}                             | ${'ipam.routes[0] must be {dst, gw?}'}
    ${'bad route dst'}  | ${{ type: 'multi-nic', cniVersion: '1.0.0', name: 'n', ipam: { routes: [{ dst: '10.9.0.1/16' }] }, plugin: { cniVersion: '1.0.0', type: 'ipvlan' } }}                | ${'network config: ipam.routes[0].dst: '}
    ${'route families'} | ${{ type: 'multi-nic', cniVersion: '1.0.0', name: 'n', ipam: { routes: [{ dst: '10.9.0.0/16', gw: 'fd00::1' }] }, plugin: { cniVersion: '1.0.0', type: 'ipvlan' } }} | ${'ipam.routes[0]: gateway fd00::1 and destination 10.9.0.0/16 are of different IP families'}
    ${'bad subnet'}     | ${{ type: 'multi-nic', cniVersion: '1.0.0', name: 'n', ipam: {}, subnet: '192.168.0.1/16', plugin: { cniVersion: '1.0.0', type: 'ipvlan' } }}                        | ${'network config: subnet: '}
    ${'bad masterNet'}  | ${{ type: 'multi-nic', cniVersion: '1.0.0', name: 'n', ipam: {}, masterNets: ['10.0.0.0/8', 'eth1'], plugin: { cniVersion: '1.0.0', type: 'ipvlan' } }}              | ${'network config: masterNets[1]: '}
  `('parseMultiNicNetConf error: $case', ({ conf, error }) => {
    const r = parseMultiNicNetConf(conf);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(error);
  });
});

describe('needsHostRoutes', () => {
  const network = (ipam: Record<string, unknown>, plugin: Record<string, unknown>): MultiNicNetwork =>
    ({
      apiVersion: 'multinic.dev/v1',
      kind: 'MultiNicNetwork',
      metadata: { name: 'n' },
      spec: { ipam: { type: 'multi-nic-ipam', ...ipam }, plugin: { cniVersion: '1.0.0', ...plugin } },
    }) as MultiNicNetwork;

  it.each([
    { case: 'ipvlan, vlanMode l3', ipam: { vlanMode: 'l3' }, plugin: { type: 'ipvlan' }, expected: true },
    { case: 'ipvlan, args.mode l3s', ipam: {}, plugin: { type: 'ipvlan', args: { mode: 'l3s' } }, expected: true },
    { case: 'ipvlan, default mode (l2)', ipam: {}, plugin: { type: 'ipvlan' }, expected: false },
    {
      case: 'args.mode wins over vlanMode',
      ipam: { vlanMode: 'l3' },
      plugin: { type: 'ipvlan', args: { mode: 'l2' } },
      expected: false,
    },
    { case: 'macvlan', ipam: { vlanMode: 'l3' }, plugin: { type: 'macvlan' }, expected: false },
  ])('$case → $expected', ({ ipam, plugin, expected }) => {
    expect(needsHostRoutes(network(ipam, plugin))).toBe(expected);
  });
});
