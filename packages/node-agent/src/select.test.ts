import { describe, expect, it } from '@jest/globals';
import type { HostNic, MultiNicNetwork, SelectRequest } from '@multinic/crd-types';
import type { NicHolder } from './select.js';
import { selectForPod } from './select.js';

const nics: HostNic[] = [
  {
    interfaceName: 'eth1',
    netAddress: '10.10.1.0/24',
    hostIP: '10.10.1.2',
    speedMbps: 100000,
    pciAddress: '0000:3b:00.0',
  },
  { interfaceName: 'eth2', netAddress: '10.10.2.0/24', hostIP: '10.10.2.2', speedMbps: 25000 },
  { interfaceName: 'eth3', netAddress: '10.10.3.0/24', hostIP: '10.10.3.2' },
];

const network = (spec: Partial<MultiNicNetwork['spec']> = {}): MultiNicNetwork =>
  ({
    apiVersion: 'multinic.dev/v1',
    kind: 'MultiNicNetwork',
    metadata: { name: 'net-a' },
    spec: {
      subnet: '192.168.0.0/16',
      ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2 },
      plugin: { cniVersion: '1.0.0', type: 'ipvlan' },
      ...spec,
    },
  }) as MultiNicNetwork;

const req = (extra: Partial<SelectRequest> = {}): SelectRequest => ({
  network: 'net-a',
  containerID: 'c1',
  ifname: 'net1',
  pod: { name: 'p', namespace: 'default', uid: 'u1' },
  ...extra,
});

const ctx = { hostNics: nics, network: network(), pooledNics: new Set(['eth1', 'eth2']), nicClass: () => undefined };

describe('selectForPod: cni-args', () => {
  it.each([
    { args: { nics: 0 }, field: 'cniArgs.nics' },
    { args: { nics: 'two' }, field: 'cniArgs.nics' },
    { args: { masters: [1] }, field: 'cniArgs.masters' },
    { args: { target: 5 }, field: 'cniArgs.target' },
  ])('rejects $args with 400 naming $field', ({ args, field }) => {
    const r = selectForPod(req({ cniArgs: args }), ctx);
    expect(!r.ok && r.failure).toMatchObject({ status: 400, error: { code: 7, field } });
  });

  it('device ids become allocated PCI addresses', () => {
    const r = selectForPod(req({ deviceIDs: ['0000:3b:00.0'] }), ctx);
    expect(r.ok && r.value.nics.map((n) => n.interfaceName)).toEqual(['eth1']);
  });
});

describe('selectForPod', () => {
  it('chooses among the NICs that have a pool, names pod interfaces <ifname>, <ifname>-1, …, and explains the rest', () => {
    const r = selectForPod(req(), ctx);
    expect(r.ok && r.value.nics).toEqual([
      {
        interfaceName: 'eth1',
        netAddress: '10.10.1.0/24',
        hostIP: '10.10.1.2',
        pciAddress: '0000:3b:00.0',
        podInterface: 'net1',
      },
      { interfaceName: 'eth2', netAddress: '10.10.2.0/24', hostIP: '10.10.2.2', podInterface: 'net1-1' },
    ]);
    expect(r.ok && r.value.decisions.find((d) => d.interfaceName === 'eth3')).toEqual({
      interfaceName: 'eth3',
      selected: false,
      reason: 'no IPPool of network net-a for this NIC on this node yet',
    });
  });

  it('a network whose delegates run their own IPAM (multiNICIPAM: false) needs no pool: every NIC can be chosen', () => {
    const own = network({ multiNICIPAM: false, ipam: { type: 'host-local' } });
    const r = selectForPod(req({ cniArgs: { nics: 3 } }), { ...ctx, network: own });
    expect(r.ok && r.value.nics.map((n) => n.interfaceName)).toEqual(['eth1', 'eth2', 'eth3']);
    // multi-nic-ipam run per delegate still takes its addresses from the pools
    const perDelegate = network({ multiNICIPAM: false });
    expect(selectForPod(req({ cniArgs: { nics: 3 } }), { ...ctx, network: perDelegate }).ok).toBe(false);
  });

  it("the pod's cni-args reach the policy (masters)", () => {
    const r = selectForPod(req({ cniArgs: { masters: ['eth2'] } }), ctx);
    expect(r.ok && r.value.nics.map((n) => n.interfaceName)).toEqual(['eth2']);
  });

  it("an unknown network is 404 and an invalid one 422, naming the field; an impossible request is 422 with the policy's reason", () => {
    expect(selectForPod(req(), { ...ctx, network: undefined })).toMatchObject({
      ok: false,
      failure: { status: 404, error: { field: 'network' } },
    });
    const invalid = selectForPod(req(), {
      ...ctx,
      network: { problems: ['spec.ipam.hostBlock: is required when subnet is set'] },
    });
    expect(invalid).toMatchObject({ ok: false, failure: { status: 422, error: { field: 'network' } } });
    expect(!invalid.ok && invalid.failure.error.msg).toMatch(/is invalid: spec\.ipam\.hostBlock: is required/);
    const r = selectForPod(req({ cniArgs: { nics: 3 } }), ctx);
    expect(!r.ok && r.failure.status).toBe(422);
    expect(!r.ok && r.failure.error.msg).toMatch(/too few NICs.*without an IPPool of net-a on this node: eth3/);
  });
});

describe('selectForPod: pod link names fit IFNAMSIZ (issue 23, finding 4)', () => {
  it.each([
    { ifname: 'net1', ok: true },
    { ifname: 'abcdefghijklm', ok: true }, // 13 + "-1" = 15
    { ifname: 'abcdefghijklmn', ok: false }, // 14 + "-1" = 16
    { ifname: 'abcdefghijklmno', ok: false }, // 15, a valid CNI_IFNAME on its own
  ])('CNI_IFNAME $ifname with two NICs: ok=$ok', ({ ifname, ok }) => {
    const r = selectForPod(req({ ifname }), ctx);
    expect(r.ok).toBe(ok);
    if (r.ok) {
      expect(r.value.nics.map((n) => n.podInterface)).toEqual([ifname, `${ifname}-1`]);
      for (const nic of r.value.nics) expect(nic.podInterface.length).toBeLessThanOrEqual(15);
    } else {
      expect(r.failure).toMatchObject({ status: 400, error: { code: 4, field: 'CNI_IFNAME' } });
      expect(r.failure.error.msg).toMatch(/too long for 2 NIC\(s\).*use an interface name of at most 13 characters/);
    }
  });
});

describe('selectForPod: a one-NIC attachment is named exactly CNI_IFNAME (Multus interface, default-route)', () => {
  it.each([{ ifname: 'net1' }, { ifname: 'rail' }, { ifname: 'abcdefghijklmno' }])(
    'CNI_IFNAME $ifname, one NIC: the pod link is $ifname',
    ({ ifname }) => {
      const r = selectForPod(req({ ifname, cniArgs: { nics: 1 } }), ctx);
      expect(r.ok && r.value.nics.map((n) => n.podInterface)).toEqual([ifname]);
    },
  );
});

describe('selectForPod: a whole NIC (host-device) is never given to two pods', () => {
  const hostDevice = network({ plugin: { cniVersion: '1.0.0', type: 'host-device' } });
  const spare: HostNic[] = [
    { interfaceName: 'eth3', netAddress: '10.10.3.0/24', hostIP: '10.10.3.2' },
    { interfaceName: 'eth4', netAddress: '10.10.3.0/24', hostIP: '10.10.3.3' },
  ];
  const holder = (extra: Partial<NicHolder> = {}): NicHolder => ({
    pod: 'default/hd-a',
    network: 'net-a',
    wholeNic: true,
    self: false,
    ...extra,
  });
  const base = {
    hostNics: spare,
    network: hostDevice,
    pooledNics: new Set(['eth3', 'eth4']),
    nicClass: () => undefined,
  };
  const chosen = (r: ReturnType<typeof selectForPod>) => (r.ok ? r.value.nics.map((n) => n.interfaceName) : r);

  it.each<{
    case: string;
    nics: HostNic[];
    holders: Record<string, NicHolder[]>;
    net?: MultiNicNetwork;
    want: string[];
  }>([
    { case: 'nothing held', nics: spare, holders: {}, want: ['eth3'] },
    { case: 'eth3 held by another pod, not yet moved', nics: spare, holders: { eth3: [holder()] }, want: ['eth4'] },
    {
      case: 'eth3 lent (moved away)',
      nics: [{ ...spare[0]!, lentTo: 'default/hd-a' }, spare[1]!],
      holders: { eth3: [holder()] },
      want: ['eth4'],
    },
    {
      case: 'eth3 lent to this very attachment (a repeated ADD)',
      nics: [{ ...spare[0]!, lentTo: 'default/p' }, spare[1]!],
      holders: { eth3: [holder({ pod: 'default/p', self: true })] },
      want: ['eth3'],
    },
    {
      case: 'eth3 shared by a macvlan pod: host-device may not take it',
      nics: spare,
      holders: { eth3: [holder({ wholeNic: false, network: 'net-mv' })] },
      want: ['eth4'],
    },
    {
      case: 'a macvlan network may share a NIC with macvlan pods',
      nics: spare,
      holders: { eth3: [holder({ wholeNic: false })] },
      net: network({ plugin: { cniVersion: '1.0.0', type: 'macvlan' } }),
      want: ['eth3'],
    },
    {
      case: 'a macvlan network never gets a NIC a host-device pod holds',
      nics: spare,
      holders: { eth3: [holder()] },
      net: network({ plugin: { cniVersion: '1.0.0', type: 'macvlan' } }),
      want: ['eth4'],
    },
  ])('$case → $want', ({ nics: hostNics, holders, net, want }) => {
    const r = selectForPod(req({ cniArgs: { nics: 1 } }), {
      ...base,
      hostNics,
      ...(net === undefined ? {} : { network: net }),
      holders: (name) => holders[name] ?? [],
    });
    expect(chosen(r)).toEqual(want);
  });

  it('says why a held NIC was not chosen', () => {
    const r = selectForPod(req({ cniArgs: { nics: 1 } }), {
      ...base,
      hostNics: [{ ...spare[0]!, lentTo: 'default/hd-a' }, spare[1]!],
      holders: (name) => (name === 'eth3' ? [holder()] : []),
    });
    expect(r.ok && r.value.decisions.find((d) => d.interfaceName === 'eth3')).toEqual({
      interfaceName: 'eth3',
      selected: false,
      reason: 'lent to pod default/hd-a (moved into its network namespace)',
    });
  });

  it('no free NIC is a clear "try again" naming each NIC and its holder', () => {
    const r = selectForPod(req({ cniArgs: { nics: 1 } }), {
      ...base,
      hostNics: [{ ...spare[0]!, lentTo: 'default/hd-a' }, spare[1]!],
      holders: (name) => [holder({ pod: name === 'eth3' ? 'default/hd-a' : 'default/hd-b' })],
    });
    expect(r).toMatchObject({ ok: false, failure: { status: 409, error: { code: 11, details: 'no-free-nic' } } });
    expect(!r.ok && r.failure.error.msg).toBe(
      'no free NIC for network net-a on this node: eth3 lent to pod default/hd-a (moved into its network namespace); eth4 in use by pod default/hd-b (network net-a takes the whole NIC); the pod can start once one is released (or give the node another NIC)',
    );
  });

  it('two NICs asked, one free: the policy says too few and the held NIC is named', () => {
    const r = selectForPod(req({ cniArgs: { nics: 2 } }), {
      ...base,
      holders: (name) => (name === 'eth3' ? [holder()] : []),
    });
    expect(!r.ok && r.failure.error.msg).toMatch(/NICs not free: eth3 in use by pod default\/hd-a/);
  });
});
