import { describe, expect, it } from '@jest/globals';
import type { HostNic, MultiNicNetwork, SelectRequest } from '@multinic/crd-types';
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
