// Issue 14, item 4: every field a pod gives Multus reaches multi-nic through the real Multus (v4.3.0, executed as
// kubelet would), one test per field: `ips`, `mac`, `interface`, `default-route`, and the device a device plugin
// allocated for a NAD with `k8s.v1.cni.cncf.io/resourceName` (Multus reads the kubelet's checkpoint and writes the
// device into the delegate's top-level deviceID/pciBusID and runtimeConfig.deviceID).
//
// The device test, honestly: the e2e hosts' NICs are veths without PCI addresses. Host-2's agent is restarted with
// stand-in sysfs entries (`/sys/class/net/<if>/device/uevent` with `PCI_SLOT_NAME=`, bound over /sys/class/net in
// the agent's own mount namespace only; the agent itself is unchanged), so its discovery reports a PCI address for
// eth3 and eth4 on the HostInterface, as it would for real NICs. The checkpoint is a file in the kubelet's
// device-manager format (k8s 1.34 pkg/kubelet/cm/devicemanager/checkpoint: Data.PodDeviceEntries with PodUID,
// ContainerName, ResourceName, DeviceIDs per NUMA node, AllocResp; Data.RegisteredDevices; Checksum), written by the
// test, not by a kubelet (there is none here). Its Checksum is not the kubelet's FNV hash of the spew dump: Multus'
// pkg/checkpoint does not verify it. Multus runs in a private mount namespace with a tmpfs under /var/lib, so it finds
// the file at /var/lib/kubelet/device-plugins/kubelet_internal_checkpoint and no pod-resources socket; the machine's
// /var/lib is never written. The plugin is host-device: the pod gets the whole NIC the device ID names.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { Cluster, type Host, type IPPool, type Pod } from '../src/cluster.js';
import { macvlanNetwork, NETWORK } from '../src/network.js';
import { ip, stopDaemon, waitFor } from '../src/sh.js';
import { inCidr } from '../src/survey.js';
import { DEMO_NETWORKS } from '../src/topology.js';

const MN = { group: 'multinic.dev', version: 'v1' };
const HOSTDEV = 'multus-hostdev';
const RESOURCE = 'example.com/e2e-nic';
/** Stand-in PCI addresses of host-2's two NICs on 10.10.3.0/24. */
const PCI = { eth3: '0000:00:03.0', eth4: '0000:00:03.1' } as const;

let cluster: Cluster | undefined;

function started(): Cluster {
  if (cluster === undefined) throw new Error('the cluster did not start (see beforeAll)');
  return cluster;
}

function host(i: number): Host {
  const h = started().hosts[i];
  if (h === undefined) throw new Error(`no host ${i + 1}`);
  return h;
}

beforeAll(async () => {
  // eth1 10.10.1.0/24, eth2 10.10.2.0/24 (the macvlan example), eth3 + eth4 on 10.10.3.0/24 (host-device).
  cluster = await Cluster.start({ hosts: 2, networks: DEMO_NETWORKS });
  await cluster.applyNetwork(macvlanNetwork());
  await cluster.applyNetwork({
    metadata: { name: HOSTDEV },
    spec: {
      subnet: '172.31.0.0/16',
      masterNets: ['10.10.3.0/24'],
      multiNICIPAM: true,
      ipam: { type: 'multi-nic-ipam', interfaceBlock: 1, hostBlock: 7, vlanMode: 'l2' },
      plugin: { cniVersion: '1.0.0', type: 'host-device', args: { resourceName: RESOURCE } },
    },
  });
}, 300_000);

afterAll(async () => {
  await cluster?.stopChecked();
}, 120_000);

interface Link {
  readonly ifname: string;
  readonly address?: string;
}

async function links(ns: string): Promise<Link[]> {
  return (JSON.parse(await ip(['-n', ns, '-j', 'link', 'show'])) as Link[]).filter((l) => l.ifname !== 'lo');
}

/** The host's NICs (its ethN links; the cluster network's veth peers of the pods left out), sorted. */
async function hostNics(h: Host): Promise<string[]> {
  return (await links(h.ns))
    .map((l) => l.ifname)
    .filter((name) => /^eth\d+$/.test(name))
    .sort();
}

/** `name address/prefix` of the pod's IPv4 addresses other than the cluster network's eth0, sorted. */
async function secondary(pod: Pod): Promise<string[]> {
  return (await started().podInterfaces(pod))
    .filter((i) => i.name !== 'eth0')
    .map((i) => `${i.name} ${i.address}`)
    .sort();
}

async function pool(network: string, hostName: string, nic: string): Promise<IPPool> {
  const found = (await started().ippools(network)).find(
    (p) => p.spec.hostName === hostName && p.spec.interfaceName === nic,
  );
  if (found === undefined) throw new Error(`no IPPool of ${network} for ${hostName}/${nic}`);
  return found;
}

interface ReportedNic {
  readonly interfaceName: string;
  readonly hostIP?: string;
  readonly pciAddress?: string;
  readonly lentTo?: string;
}

/** The NICs the host's agent reports on its HostInterface. */
async function hostInterfaceNics(h: Host): Promise<ReportedNic[]> {
  const hi = (await started()
    .kubeConfig.makeApiClient(CustomObjectsApi)
    .getClusterCustomObject({ ...MN, plural: 'hostinterfaces', name: h.name })) as {
    spec?: { interfaces?: ReportedNic[] };
  };
  return hi.spec?.interfaces ?? [];
}

/** The n-th address of an IPv4 prefix, e.g. nth('172.30.1.0/24', 77) = 172.30.1.77. */
function nth(cidr: string, n: number): string {
  const [base = ''] = cidr.split('/');
  const value = base.split('.').reduce((acc, o) => acc * 256 + Number(o), 0) + n;
  return [24, 16, 8, 0].map((s) => Math.floor(value / 2 ** s) % 256).join('.');
}

async function nadConfig(name: string): Promise<Record<string, unknown>> {
  const nad = (await started().kubeConfig.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: 'k8s.cni.cncf.io',
    version: 'v1',
    plural: 'network-attachment-definitions',
    namespace: 'default',
    name,
  })) as { metadata: { annotations?: Record<string, string> }; spec: { config: string } };
  return { ...(JSON.parse(nad.spec.config) as Record<string, unknown>), annotations: nad.metadata.annotations };
}

describe('Multus fields reach multi-nic (macvlan example network)', () => {
  it('the generated NAD declares the capabilities multi-nic honours, so Multus passes them in runtimeConfig', async () => {
    expect((await nadConfig(NETWORK))['capabilities']).toEqual({ deviceID: true, ips: true, mac: true });
    const hostdev = await nadConfig(HOSTDEV);
    expect(hostdev['capabilities']).toEqual({ deviceID: true, ips: true });
    expect(hostdev['annotations']).toEqual({ 'k8s.v1.cni.cncf.io/resourceName': RESOURCE });
  });

  it('interface: a one-NIC attachment gets exactly the requested name; a two-NIC one <name> and <name>-1', async () => {
    const c = started();
    const one = await c.createPod({
      name: 'iface-one',
      host: host(0),
      networks: JSON.stringify([{ name: NETWORK, interface: 'rail', 'cni-args': { nics: 1 } }]),
    });
    const two = await c.createPod({
      name: 'iface-two',
      host: host(0),
      networks: JSON.stringify([{ name: NETWORK, interface: 'data' }]),
    });
    expect((await links(one.ns)).map((l) => l.ifname).sort()).toEqual(['eth0', 'rail']);
    expect((await links(two.ns)).map((l) => l.ifname).sort()).toEqual(['data', 'data-1', 'eth0']);
    const status = (await c.networkStatus(one)).filter((s) => s.name === `default/${NETWORK}`);
    expect(status.map((s) => s.interface)).toEqual(['rail']);
    for (const pod of [one, two]) await c.deletePod(pod);
  });

  it("ips: the pod gets exactly the address it asked for, from its host's pool of that NIC", async () => {
    const c = started();
    const eth1 = await pool(NETWORK, host(0).name, 'eth1');
    const vlanBits = (eth1.spec.vlanCIDR ?? '/17').split('/')[1] ?? '17';
    const wanted = nth(eth1.spec.podCIDR, 77);
    const pod = await c.createPod({
      name: 'ips',
      host: host(0),
      networks: JSON.stringify([{ name: NETWORK, ips: [`${wanted}/${vlanBits}`], 'cni-args': { nics: 1 } }]),
    });
    expect(await secondary(pod)).toEqual([`net1 ${wanted}/${vlanBits}`]);
    const held = await waitFor('the requested address in the IPPool status', async () => {
      const p = await pool(NETWORK, host(0).name, 'eth1');
      return (p.status?.allocations ?? []).find((a) => a.podUID === pod.uid);
    });
    expect(held.address).toBe(wanted);
    await c.deletePod(pod);
  });

  it('mac: the pod interface has the MAC the pod asked for', async () => {
    const c = started();
    const mac = '0a:58:ac:1e:00:42';
    const pod = await c.createPod({
      name: 'mac',
      host: host(1),
      networks: JSON.stringify([{ name: NETWORK, interface: 'net7', mac, 'cni-args': { nics: 1 } }]),
    });
    const net7 = (await links(pod.ns)).find((l) => l.ifname === 'net7');
    expect(net7?.address).toBe(mac);
    expect((await c.networkStatus(pod)).find((s) => s.interface === 'net7')?.mac).toBe(mac);
    await c.deletePod(pod);
  });

  it("default-route: the pod's only default route goes via the requested gateway on the first NIC (two-NIC attachment)", async () => {
    const c = started();
    // The gateway: another pod on the first NIC network (eth1's), on the other host.
    const gwPod = await c.createPod({
      name: 'gw',
      host: host(0),
      networks: JSON.stringify([{ name: NETWORK, 'cni-args': { nics: 1, masters: ['eth1'] } }]),
    });
    const [gwLine = ''] = await secondary(gwPod);
    const gateway = gwLine.split(' ')[1]?.split('/')[0] ?? '';
    expect(inCidr(gateway, (await pool(NETWORK, host(0).name, 'eth1')).spec.podCIDR)).toBe(true);
    const pod = await c.createPod({
      name: 'routed',
      host: host(1),
      networks: JSON.stringify([{ name: NETWORK, interface: 'data', 'default-route': [gateway] }]),
    });
    const defaults = JSON.parse(await ip(['-n', pod.ns, '-4', '-j', 'route', 'show', 'default'])) as {
      gateway?: string;
      dev?: string;
    }[];
    expect(defaults.map((r) => `${r.gateway ?? 'none'} ${r.dev ?? ''}`)).toEqual([`${gateway} data`]);
    const get = JSON.parse(await ip(['-n', pod.ns, '-4', '-j', 'route', 'get', '10.99.0.1'])) as {
      gateway?: string;
      dev?: string;
    }[];
    expect(get.map((r) => `${r.gateway ?? 'none'} ${r.dev ?? ''}`)).toEqual([`${gateway} data`]);
    expect(await c.ping(pod, gateway)).toBe(true);
    await c.deletePod(pod);
    // Documented limit: Multus adds the gateway on the link named CNI_IFNAME (the first NIC); a gateway on the
    // second NIC's network is not reachable there, and Multus fails the ADD (undoing it).
    const eth2 = await pool(NETWORK, host(1).name, 'eth2');
    const far = await c.newPod({
      name: 'routed-far',
      host: host(1),
      networks: JSON.stringify([{ name: NETWORK, interface: 'data', 'default-route': [nth(eth2.spec.podCIDR, 200)] }]),
    });
    const res = await c.multus(far, 'ADD');
    expect(res.code).not.toBe(0);
    expect(`${res.stdout} ${res.stderr}`).toContain('error setting default gateway');
    // Multus returns that error without undoing the attachment; kubelet's DEL does, and frees the addresses.
    await c.deletePod(far);
    // The IPPool status mirrors the agent's store a moment later.
    const farHeld = async (): Promise<string[]> =>
      (await c.ippools(NETWORK))
        .flatMap((p) => p.status?.allocations ?? [])
        .filter((a) => a.podUID === far.uid)
        .map((a) => a.address);
    await waitFor("routed-far's addresses to leave the IPPool status", async () =>
      (await farHeld()).length === 0 ? true : undefined,
    ).catch(() => undefined);
    expect(await farHeld()).toEqual([]);
    await c.deletePod(gwPod);
  });
});

describe('deviceID: a device-plugin allocation in the kubelet checkpoint picks exactly that NIC (host-device)', () => {
  /** A kubelet device-manager checkpoint allocating `devices` of RESOURCE to the pod's container `app`. */
  function checkpoint(pod: Pod, devices: readonly string[]): string {
    const file = path.join(started().work, `checkpoint-${pod.name}.json`);
    const data = {
      Data: {
        PodDeviceEntries: [
          {
            PodUID: pod.uid,
            ContainerName: 'app',
            ResourceName: RESOURCE,
            DeviceIDs: { '-1': devices },
            AllocResp: null,
          },
        ],
        RegisteredDevices: { [RESOURCE]: [PCI.eth3, PCI.eth4] },
      },
      Checksum: 0,
    };
    writeFileSync(file, JSON.stringify(data));
    return file;
  }

  /** Host-2 has both host-device NICs back and the network all its IPPools (a NIC inside a pod leaves the host). */
  beforeEach(async () => {
    const h = host(1);
    await waitFor(`${h.name}'s eth3 and eth4 in its namespace`, async () =>
      (await hostNics(h)).join() === 'eth1,eth2,eth3,eth4' ? true : undefined,
    );
    // host-device's DEL returns a NIC down and without its addresses (they do not survive a move between
    // namespaces); the agent that lent it gives it back (up, its addresses): no longer lent to a pod, addressed,
    // with its stand-in PCI address.
    await started().waitNetworkReady(HOSTDEV);
    await waitFor(`${h.name}'s HostInterface to show eth3 and eth4 back on the host`, async () => {
      const nics = await hostInterfaceNics(h);
      const back = (name: string, pci: string): boolean =>
        nics.some((n) => n.interfaceName === name && n.pciAddress === pci && n.lentTo === undefined && n.hostIP !== '');
      return back('eth3', PCI.eth3) && back('eth4', PCI.eth4) ? true : undefined;
    });
  }, 120_000);

  beforeAll(async () => {
    const c = started();
    const h = host(1);
    const sysfs = path.join(h.dir, 'sysfs-class-net');
    for (const nic of h.nics) {
      const pci = (PCI as Record<string, string>)[nic.name];
      mkdirSync(path.join(sysfs, nic.name, 'device'), { recursive: true });
      writeFileSync(
        path.join(sysfs, nic.name, 'device', 'uevent'),
        pci === undefined ? 'DRIVER=veth\n' : `DRIVER=veth\nPCI_SLOT_NAME=${pci}\n`,
      );
    }
    if (h.agent !== undefined) await stopDaemon(h.agent);
    c.startAgent(h, { sysfsClassNet: sysfs });
    await waitFor(`${h.name}'s HostInterface to report the stand-in PCI addresses`, async () => {
      const pcis = (await hostInterfaceNics(h)).map((n) => `${n.interfaceName}=${n.pciAddress ?? ''}`);
      return pcis.includes(`eth3=${PCI.eth3}`) && pcis.includes(`eth4=${PCI.eth4}`) ? pcis : undefined;
    });
    await c.waitNetworkReady(HOSTDEV);
  }, 120_000);

  it('Multus passes the checkpoint device ID: the pod gets host NIC eth4 (not eth3, first in base order) as `hd`', async () => {
    const c = started();
    const h = host(1);
    const eth4 = (await links(h.ns)).find((l) => l.ifname === 'eth4');
    expect(eth4?.address).toMatch(/^[0-9a-f:]{17}$/);
    // eth4's pool before the NIC leaves the host (the HostInterface no longer lists a NIC that is inside a pod).
    const eth4Pool = await pool(HOSTDEV, h.name, 'eth4');
    const pod = await c.newPod({
      name: 'dev',
      host: h,
      networks: JSON.stringify([{ name: HOSTDEV, interface: 'hd' }]),
    });
    const file = checkpoint(pod, [PCI.eth4]);
    const add = await c.multus(pod, 'ADD', { deviceCheckpoint: file });
    expect({ code: add.code, stdout: add.code === 0 ? '' : add.stdout }).toEqual({ code: 0, stdout: '' });
    // Exactly the allocated NIC: moved into the pod under the requested name, addressed from eth4's pool.
    const inPod = await links(pod.ns);
    expect(inPod.map((l) => l.ifname).sort()).toEqual(['eth0', 'hd']);
    expect(inPod.find((l) => l.ifname === 'hd')?.address).toBe(eth4?.address);
    expect(await hostNics(h)).toEqual(['eth1', 'eth2', 'eth3']);
    const [line = ''] = await secondary(pod);
    expect(inCidr(line.split(' ')[1] ?? '', eth4Pool.spec.podCIDR)).toBe(true);
    const del = await c.multus(pod, 'DEL', { deviceCheckpoint: file });
    expect(del.code).toBe(0);
    expect(await hostNics(h)).toEqual(['eth1', 'eth2', 'eth3', 'eth4']);
    await c.deletePod(pod);
  });

  it("one device per attachment: the NAD selected twice gets the two allocated NICs, in Multus' sorted order", async () => {
    const c = started();
    const h = host(1);
    const macs = new Map((await links(h.ns)).map((l) => [l.ifname, l.address]));
    const pod = await c.newPod({
      name: 'dev-two',
      host: h,
      networks: JSON.stringify([
        { name: HOSTDEV, interface: 'hd0' },
        { name: HOSTDEV, interface: 'hd1' },
      ]),
    });
    const file = checkpoint(pod, [PCI.eth4, PCI.eth3]);
    const add = await c.multus(pod, 'ADD', { deviceCheckpoint: file });
    expect({ code: add.code, stdout: add.code === 0 ? '' : add.stdout }).toEqual({ code: 0, stdout: '' });
    const inPod = new Map((await links(pod.ns)).map((l) => [l.ifname, l.address]));
    // Multus sorts the device IDs (types.SortDeviceIDs) and hands them to the selections in order.
    expect([inPod.get('hd0'), inPod.get('hd1')]).toEqual([macs.get('eth3'), macs.get('eth4')]);
    expect(await hostNics(h)).toEqual(['eth1', 'eth2']);
    expect((await c.multus(pod, 'DEL', { deviceCheckpoint: file })).code).toBe(0);
    expect(await hostNics(h)).toEqual(['eth1', 'eth2', 'eth3', 'eth4']);
    await c.deletePod(pod);
  });

  it('a device ID no NIC of the host has fails the ADD naming it, and leaves nothing', async () => {
    const c = started();
    const h = host(1);
    const pod = await c.newPod({
      name: 'dev-unknown',
      host: h,
      networks: JSON.stringify([{ name: HOSTDEV, interface: 'hd' }]),
    });
    const add = await c.multus(pod, 'ADD', { deviceCheckpoint: checkpoint(pod, ['0000:00:0e.9']) });
    expect(add.code).not.toBe(0);
    expect(`${add.stdout} ${add.stderr}`).toContain('the pod was allocated PCI device 0000:00:0e.9');
    expect(await secondary(pod)).toEqual([]);
    expect(await hostNics(h)).toEqual(['eth1', 'eth2', 'eth3', 'eth4']);
    const held = (await c.ippools(HOSTDEV)).flatMap((p) => p.status?.allocations ?? []);
    expect(held.filter((a) => a.podUID === pod.uid)).toEqual([]);
  });
});
