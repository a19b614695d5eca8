import { describe, expect, it } from '@jest/globals';
import { InputError } from '../io.js';
import { CONVERTED_CONTAINER_PREFIX, migrateObjects } from './convert.js';

const LEGACY = 'multinic.fms.io/v1';

const network = (spec: Record<string, unknown>, apiVersion = LEGACY): Record<string, unknown> => ({
  apiVersion,
  kind: 'MultiNicNetwork',
  metadata: { name: 'net-a' },
  spec: { subnet: '192.168.0.0/16', plugin: { cniVersion: '0.3.0', type: 'ipvlan', args: { mode: 'l3' } }, ...spec },
});

const pod = (name: string, options: { uid: string; node: string; annotations?: Record<string, string> }) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid: options.uid, annotations: options.annotations ?? {} },
  spec: { nodeName: options.node },
  status: { phase: 'Running' },
});

const pool = (allocations: unknown[], extra: Record<string, unknown> = {}) => ({
  apiVersion: LEGACY,
  kind: 'IPPool',
  metadata: { name: 'net-a-192.168.0.0-24', resourceVersion: '7', labels: { hostname: 'node-1', netname: 'net-a' } },
  spec: {
    podCIDR: '192.168.0.0/24',
    vlanCIDR: '192.168.0.0/18',
    netAttachDef: 'net-a',
    hostName: 'node-1',
    interfaceName: 'eth1',
    excludes: [],
    allocations,
    ...extra,
  },
});

function run(...values: unknown[]) {
  return migrateObjects(values.map((value, i) => ({ place: `in.yaml (document ${i + 1})`, value })));
}

describe('migrateObjects: MultiNicNetwork spellings', () => {
  it.each<{ case: string; spec: Record<string, unknown>; expected: Record<string, unknown> }>`
    case                                      | spec                                                                                                                                       | expected
    ${'ipam as JSON text, multiNICIPAM'}      | ${{ ipam: '{"type":"multi-nic-ipam","hostBlock":6,"interfaceBlock":2}', multiNICIPAM: true }}                                              | ${{ ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2 }, multiNICIPAM: true }}
    ${'ipam as an object'}                    | ${{ ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2 } }}                                                                   | ${{ ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2 } }}
    ${'multiNicIPAM (the README spelling)'}   | ${{ ipam: '{"type":"multi-nic-ipam","hostBlock":6,"interfaceBlock":2}', multiNicIPAM: true }}                                              | ${{ ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2 }, multiNICIPAM: true }}
    ${'multiNicIPAM: false, host-local ipam'} | ${{ ipam: '{"type":"host-local","subnet":"10.9.0.0/24"}', multiNicIPAM: false }}                                                           | ${{ ipam: { type: 'host-local', subnet: '10.9.0.0/24' }, multiNICIPAM: false }}
    ${'keys in any case inside ipam text'}    | ${{ ipam: '{"Type":"multi-nic-ipam","hostblock":6,"INTERFACEBLOCK":2,"vlanmode":"l2"}' }}                                                  | ${{ ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2, vlanMode: 'l2' } }}
    ${'keys in any case in spec and plugin'}  | ${{ IPAM: '{"type":"multi-nic-ipam","hostBlock":6,"interfaceBlock":2}', MasterNets: ['10.0.1.0/24'], attachpolicy: { Strategy: 'none' } }} | ${{ ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2 }, masterNets: ['10.0.1.0/24'], attachPolicy: { strategy: 'none' } }}
    ${'devClass strategy, null namespaces'}   | ${{ ipam: '{"type":"multi-nic-ipam","hostBlock":6,"interfaceBlock":2}', attachPolicy: { strategy: 'devClass' }, namespaces: null }}        | ${{ ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2 }, attachPolicy: { strategy: 'nicClass' } }}
  `('$case', ({ spec, expected }) => {
    const { objects } = run(network(spec));
    expect(objects).toHaveLength(1);
    expect(objects[0]).toMatchObject({ apiVersion: 'multinic.dev/v1', kind: 'MultiNicNetwork', spec: expected });
    expect(Object.keys((objects[0] as { spec: object }).spec).sort()).toEqual(
      [...Object.keys(expected), 'plugin', 'subnet'].sort(),
    );
  });

  it('says which keys it respelled, and that an exact spelling wins over another', () => {
    const { objects, notes } = run(
      network({
        ipam: '{"type":"multi-nic-ipam","hostBlock":6,"interfaceBlock":2}',
        multiNicIPAM: false,
        multiNICIPAM: true,
        hostblock: 3,
      }),
    );
    expect(objects[0]).toMatchObject({ spec: { multiNICIPAM: true } });
    expect(notes).toContain(
      'in.yaml (document 1): MultiNicNetwork net-a: spec.multiNicIPAM not carried over: spec.multiNICIPAM is also set and wins',
    );
    expect(notes).toContain(
      'in.yaml (document 1): MultiNicNetwork net-a: spec.hostblock not carried over: multinic.dev/v1 has no such field',
    );
    const respelled = run(
      network({ ipam: '{"type":"multi-nic-ipam","hostblock":6,"interfaceBlock":2}', multiNicIPAM: true }),
    ).notes;
    expect(respelled).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/spec\.multiNicIPAM read as spec\.multiNICIPAM \(multi-nic-cni matches field names/),
        expect.stringMatching(/spec\.ipam\.hostblock read as spec\.ipam\.hostBlock/),
      ]),
    );
  });

  it('reads the older net.cogadvisor.io/v1 group, and refuses invalid JSON text naming the fix', () => {
    expect(
      run(network({ ipam: '{"type":"multi-nic-ipam","hostBlock":6,"interfaceBlock":2}' }, 'net.cogadvisor.io/v1'))
        .objects[0],
    ).toMatchObject({
      apiVersion: 'multinic.dev/v1',
    });
    expect(() => run(network({ ipam: '{"type":' }))).toThrow(/spec\.ipam is a string but not valid JSON/);
  });
});

describe('migrateObjects: IPPool with allocations', () => {
  const pods = [
    pod('web-0', { uid: 'uid-0', node: 'node-1', annotations: { 'k8s.v1.cni.cncf.io/networks': 'other, net-a' } }),
    pod('web-1', {
      uid: 'uid-1',
      node: 'node-1',
      annotations: {
        'k8s.v1.cni.cncf.io/network-status': JSON.stringify([
          { name: 'default/net-a', interface: 'net3-0', ips: ['192.168.0.3'] },
        ]),
      },
    }),
    pod('web-2', { uid: 'uid-2', node: 'node-1', annotations: { 'k8s.v1.cni.cncf.io/networks': 'net-a@fast' } }),
    pod('moved', { uid: 'uid-m', node: 'node-9' }),
    { ...pod('done', { uid: 'uid-d', node: 'node-1' }), status: { phase: 'Succeeded' } },
  ];
  const allocations = [
    { pod: 'web-0', namespace: 'default', index: 2, address: '192.168.0.2' },
    { pod: 'web-1', namespace: 'default', index: 3, address: '192.168.0.3' },
    { pod: 'web-2', namespace: 'default', index: 4, address: '192.168.0.4' },
    { pod: 'gone', namespace: 'default', index: 5, address: '192.168.0.5' },
    { pod: 'moved', namespace: 'default', index: 6, address: '192.168.0.6' },
    { pod: 'done', namespace: 'default', index: 7, address: '192.168.0.7' },
    { pod: 'web-0', namespace: 'default', index: 2, address: '192.168.0.2' },
    { pod: 'web-2', namespace: 'default', index: 9, address: '10.0.0.9' },
  ];

  it('keeps the allocations of pods on the pool host in status, keyed by the pod UID, and says why it dropped the others', () => {
    const { objects, notes, allocations: carried } = run(pool(allocations), ...pods);
    expect(objects).toHaveLength(1);
    const converted = objects[0] as {
      metadata: Record<string, unknown>;
      spec: Record<string, unknown>;
      status: { allocations: Record<string, string>[] };
    };
    expect(converted.metadata).toEqual({
      name: 'net-a-192.168.0.0-24',
      labels: {
        hostname: 'node-1',
        netname: 'net-a',
        'multinic.dev/network': 'net-a',
        'multinic.dev/host': 'node-1',
        'multinic.dev/interface': 'eth1',
      },
    });
    expect(converted.spec).toEqual({
      network: 'net-a',
      hostName: 'node-1',
      interfaceName: 'eth1',
      podCIDR: '192.168.0.0/24',
      vlanCIDR: '192.168.0.0/18',
      excludes: [],
    });
    expect(converted.status.allocations).toEqual([
      // web-0: Multus' default name for the second network of its annotation
      {
        address: '192.168.0.2',
        containerID: `${CONVERTED_CONTAINER_PREFIX}uid-0`,
        interface: 'net2',
        podName: 'web-0',
        podNamespace: 'default',
        podUID: 'uid-0',
      },
      // web-1: no networks annotation; the link its network-status shows
      {
        address: '192.168.0.3',
        containerID: `${CONVERTED_CONTAINER_PREFIX}uid-1`,
        interface: 'net3-0',
        podName: 'web-1',
        podNamespace: 'default',
        podUID: 'uid-1',
      },
      // web-2: the interface its selection asks for
      {
        address: '192.168.0.4',
        containerID: `${CONVERTED_CONTAINER_PREFIX}uid-2`,
        interface: 'fast',
        podName: 'web-2',
        podNamespace: 'default',
        podUID: 'uid-2',
      },
    ]);
    expect(carried).toBe(3);
    const at = 'in.yaml (document 1): IPPool net-a-192.168.0.0-24';
    expect(notes).toEqual(
      expect.arrayContaining([
        'read 5 pods for the UIDs of IPPool allocations (pods themselves are not output)',
        `${at}: metadata.resourceVersion not carried over: the API server sets it`,
        `${at}: spec.allocations[3] not carried over: pod default/gone is not among the pods given: it is gone, so 192.168.0.5 is free again`,
        `${at}: spec.allocations[4] not carried over: pod default/moved now runs on node-9, not node-1: 192.168.0.6 is free again`,
        `${at}: spec.allocations[5] not carried over: pod default/done has ended (Succeeded): it has no sandbox, so 192.168.0.7 is free again`,
        `${at}: spec.allocations[6] not carried over: 192.168.0.2 (pod default/web-0) is listed twice; the first holder keeps it`,
        `${at}: spec.allocations[7] not carried over: "10.0.0.9" (pod default/web-2) is not an address of the pool's 192.168.0.0/24`,
        `${at}: converted, 3 allocations carried over into status.allocations`,
      ]),
    );
  });

  it('refuses a pool with allocations when no pods were given (their UIDs keep the addresses held)', () => {
    expect(() => run(pool(allocations))).toThrow(InputError);
    expect(() => run(pool(allocations))).toThrow(
      /holds 8 allocations, and no pods were given.*kubectl get pods -A -o yaml/,
    );
    expect(run(pool([])).objects[0]).not.toHaveProperty('status');
  });

  it('reads IPPool keys in any case and renames a pool to the name multinic gives its block', () => {
    const odd = pool([], { PodCIDR: '192.168.1.0/24', podCIDR: undefined });
    const spec = { ...(odd.spec as Record<string, unknown>) };
    delete spec['podCIDR'];
    const { objects, notes } = run({ ...odd, spec });
    expect(objects[0]).toMatchObject({
      metadata: { name: 'net-a-192.168.1.0-24' },
      spec: { podCIDR: '192.168.1.0/24' },
    });
    expect(notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/spec\.PodCIDR read as spec\.podCIDR/),
        expect.stringMatching(/renamed net-a-192\.168\.1\.0-24 \(multinic names the IPPool of 192\.168\.1\.0\/24 so\)/),
      ]),
    );
  });
});

describe('migrateObjects: CIDR, HostInterface, DeviceClass and the rest', () => {
  const cidr = {
    apiVersion: LEGACY,
    kind: 'CIDR',
    metadata: { name: 'net-a', ownerReferences: [{ kind: 'MultiNicNetwork', name: 'net-a', uid: 'old' }] },
    spec: {
      config: {
        name: 'net-a',
        type: 'multi-nic-ipam',
        subnet: '192.168.0.0/16',
        masterNets: ['10.0.2.0/24', '10.0.1.0/24'],
        hostBlock: 6,
        interfaceBlock: 2,
        excludeCIDRs: null,
        vlanMode: 'l3',
      },
      cidr: [
        {
          netAddress: '10.0.2.0/24',
          interfaceIndex: 0,
          vlanCIDR: '192.168.0.0/18',
          hosts: [
            {
              hostIndex: 1,
              hostName: 'node-1',
              interfaceName: 'eth2',
              hostIP: '10.0.2.5',
              podCIDR: '192.168.1.0/24',
              ippool: 'net-a-192.168.1.0-24',
            },
          ],
        },
        {
          netAddress: '10.0.1.0/24',
          InterfaceIndex: 1,
          vlanCIDR: '192.168.64.0/18',
          hosts: [
            {
              hostIndex: 0,
              hostName: 'node-1',
              interfaceName: 'eth1',
              hostIP: '10.0.1.5',
              podCIDR: '192.168.64.0/24',
              ippool: 'x',
            },
          ],
        },
      ],
    },
  };

  it('CIDR: keeps every interface and host index (the controller plans on from them), names pools as multinic does', () => {
    const { objects, notes } = run(cidr);
    expect(objects[0]).toEqual({
      apiVersion: 'multinic.dev/v1',
      kind: 'CIDR',
      metadata: { name: 'net-a', labels: { 'multinic.dev/network': 'net-a' } },
      spec: {
        config: {
          subnet: '192.168.0.0/16',
          interfaceBlock: 2,
          hostBlock: 6,
          masterNets: ['10.0.2.0/24', '10.0.1.0/24'],
          excludeCIDRs: [],
        },
        cidr: [
          {
            netAddress: '10.0.2.0/24',
            interfaceIndex: 0,
            vlanCIDR: '192.168.0.0/18',
            hosts: [
              {
                hostIndex: 1,
                hostName: 'node-1',
                interfaceName: 'eth2',
                hostIP: '10.0.2.5',
                podCIDR: '192.168.1.0/24',
                ippool: 'net-a-192.168.1.0-24',
              },
            ],
          },
          {
            netAddress: '10.0.1.0/24',
            interfaceIndex: 1,
            vlanCIDR: '192.168.64.0/18',
            hosts: [
              {
                hostIndex: 0,
                hostName: 'node-1',
                interfaceName: 'eth1',
                hostIP: '10.0.1.5',
                podCIDR: '192.168.64.0/24',
                ippool: 'net-a-192.168.64.0-24',
              },
            ],
          },
        ],
      },
    });
    expect(notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/CIDR net-a: metadata\.ownerReferences not carried over/),
        expect.stringMatching(/spec\.config\.vlanMode not carried over: the network's spec\.ipam\.vlanMode says it/),
        expect.stringMatching(/spec\.cidr\[1\]\.InterfaceIndex read as spec\.cidr\[1\]\.interfaceIndex/),
        expect.stringMatching(/spec\.cidr\[1\]\.hosts\[0\]\.ippool "x" renamed net-a-192\.168\.64\.0-24/),
      ]),
    );
  });

  it('HostInterface: the NICs as discovered (PCI ids without 0x, empty ones left out), not the link statistics', () => {
    const { objects, notes } = run({
      apiVersion: LEGACY,
      kind: 'HostInterface',
      metadata: { name: 'node-1' },
      spec: {
        hostName: 'node-1',
        interfaces: [
          {
            interfaceName: 'eth1',
            netAddress: '10.0.1.0/24',
            hostIP: '10.0.1.5',
            vendor: '0x15B3',
            product: '0x101d',
            pciAddress: '0000:3b:00.0',
          },
          {
            InterfaceName: 'eth2',
            netAddress: '10.0.2.0/24',
            hostIP: '10.0.2.5',
            vendor: '',
            product: '',
            pciAddress: '',
          },
        ],
      },
      status: { stat: { interfaceName: 'eth1', txRate: 5 } },
    });
    expect(objects[0]).toEqual({
      apiVersion: 'multinic.dev/v1',
      kind: 'HostInterface',
      metadata: { name: 'node-1' },
      spec: {
        hostName: 'node-1',
        interfaces: [
          {
            interfaceName: 'eth1',
            netAddress: '10.0.1.0/24',
            hostIP: '10.0.1.5',
            vendor: '15b3',
            product: '101d',
            pciAddress: '0000:3b:00.0',
          },
          { interfaceName: 'eth2', netAddress: '10.0.2.0/24', hostIP: '10.0.2.5' },
        ],
      },
    });
    expect(notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/spec\.interfaces\[0\]\.vendor 0x15B3 written 15b3/),
        expect.stringMatching(/HostInterface node-1: status not carried over: multi-nic-cni's link statistics/),
      ]),
    );
  });

  it.each<{ case: string; ids: unknown[]; expected: unknown }>`
    case            | ids                                                   | expected
    ${'one vendor'} | ${[{ vendor: '15b3', products: ['1017', '0x101D'] }]} | ${{ vendor: '15b3', products: ['1017', '101d'] }}
    ${'any case'}   | ${[{ Vendor: '8086', PRODUCTS: ['1572'] }]}           | ${{ vendor: '8086', products: ['1572'] }}
  `('DeviceClass → NicClass: $case', ({ ids, expected }) => {
    const { objects } = run({ apiVersion: LEGACY, kind: 'DeviceClass', metadata: { name: 'mlx' }, spec: { ids } });
    expect(objects).toEqual([
      { apiVersion: 'multinic.dev/v1', kind: 'NicClass', metadata: { name: 'mlx' }, spec: expected },
    ]);
  });

  it('DeviceClass with two vendors is refused, naming the fix (a NicClass has one vendor)', () => {
    const ids = [
      { vendor: '15b3', products: ['1017'] },
      { vendor: '8086', products: ['1572'] },
    ];
    expect(() => run({ apiVersion: LEGACY, kind: 'DeviceClass', metadata: { name: 'mix' }, spec: { ids } })).toThrow(
      /lists 2 vendors in spec\.ids; a NicClass has exactly one vendor: split the DeviceClass/,
    );
  });

  it('expands kind: List and typed lists, orders networks first, and drops what has no counterpart, saying why', () => {
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        pool([]),
        {
          apiVersion: LEGACY,
          kind: 'Config',
          metadata: { name: 'multi-nic-cni-operator' },
          spec: { cniType: 'multi-nic' },
        },
        { apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', metadata: { name: 'net-a' } },
        network({ ipam: '{"type":"multi-nic-ipam","hostBlock":6,"interfaceBlock":2}' }),
      ],
    };
    const typed = {
      apiVersion: LEGACY,
      kind: 'DeviceClassList',
      items: [{ metadata: { name: 'mlx' }, spec: { ids: [{ vendor: '15b3', products: ['1017'] }] } }],
    };
    const { objects, notes } = run(list, typed);
    expect(objects.map((o) => `${String(o['kind'])}/${String((o['metadata'] as { name: string }).name)}`)).toEqual([
      'MultiNicNetwork/net-a',
      'NicClass/mlx',
      'IPPool/net-a-192.168.0.0-24',
    ]);
    expect(notes).toEqual(
      expect.arrayContaining([
        "in.yaml (document 1) items[1]: Config multi-nic-cni-operator: not carried over: multi-nic-cni's operator configuration; multinic's controller and agents are configured by the Helm chart's values",
        'in.yaml (document 1) items[2]: NetworkAttachmentDefinition net-a: not carried over: the multinic controller writes the NetworkAttachmentDefinition of each MultiNicNetwork',
      ]),
    );
  });
});
