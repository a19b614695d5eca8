// `multiNICIPAM: false` (multi-nic-cni's single-NIC IPAM): the multi-nic executable asks the REAL node agent (on a
// real kube-apiserver from @multinic/testenv) only which NICs the pod gets, and every per-NIC delegate — Debian's
// macvlan — runs the network's own IPAM as written: Debian's host-local, with its data directory in a temp folder.
// The "node" is a network namespace with veth NICs whose peers live in a second namespace; each pod is a namespace.
// No CIDR or IPPool exists: such a network needs none. Needs root and the testenv binaries (scripts/ensure-tools).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { CniResult, MultiNicNetwork } from '@multinic/crd-types';
import { podInterfaceName } from '@multinic/netconf';
import { AgentLab, nodeNics } from './agent-lab.js';
import { addresses, links } from './lab.js';

const NETWORK = 'mn-own-ipam';
const lab = new AgentLab({ tag: 'oi', node: 'node-own-ipam', podName: (c) => `web-${c}`, infraContainerId: false });
const cni = lab.cni.bind(lab);
const DATA_DIR = path.join(lab.dir, 'host-local');
/** host-local keeps one file per address it handed out, named by the address, in <dataDir>/<network name>. */
const STORE = path.join(DATA_DIR, NETWORK);

/** The network's ipam, exactly as a multi-nic-cni user writes it for host-local. */
const IPAM = {
  type: 'host-local',
  ranges: [[{ subnet: '10.77.0.0/24', rangeStart: '10.77.0.10', rangeEnd: '10.77.0.50' }]],
  dataDir: DATA_DIR,
};

const NETWORK_OBJECT: MultiNicNetwork = {
  apiVersion: 'multinic.dev/v1',
  kind: 'MultiNicNetwork',
  metadata: { name: NETWORK },
  spec: {
    masterNets: ['10.20.1.0/24', '10.20.2.0/24'],
    multiNICIPAM: false,
    ipam: IPAM,
    plugin: { cniVersion: '1.0.0', type: 'macvlan', args: { mode: 'bridge' } },
  },
};

/** The NetworkAttachmentDefinition config the controller writes, with the pod's cni-args as Multus adds them. */
function nad(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return lab.nad(NETWORK_OBJECT, extra);
}

/** `address containerID/ifname` of every address host-local holds (its files named by address). */
function held(): string[] {
  if (!existsSync(STORE)) return [];
  return readdirSync(STORE)
    .filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f))
    .map((f) => `${f} ${readFileSync(path.join(STORE, f), 'utf8').split(/\r?\n/).join('/')}`)
    .sort();
}

beforeAll(async () => {
  await lab.start({
    nics: nodeNics('10.20'),
    objects: async (kubeConfig) => {
      await kubeConfig.makeApiClient(CustomObjectsApi).createClusterCustomObject({
        group: 'multinic.dev',
        version: 'v1',
        plural: 'multinicnetworks',
        body: NETWORK_OBJECT,
      });
    },
    // STATUS is ready without any IPPool: such a network needs none.
    statusStdin: nad({ cniVersion: '1.1.0' }),
  });
}, 180_000);

afterAll(() => lab.stop(), 60_000);

const NAMES = [podInterfaceName('net1', 0), podInterfaceName('net1', 1)];

describe('multi-nic with multiNICIPAM: false and Debian host-local', () => {
  it('ADD: the agent selects two NICs, each macvlan gets its address from host-local; CHECK passes; DEL gives both back, twice', async () => {
    const pod = lab.newPod('p1');
    const add = await cni('ADD', { netns: pod.path, containerId: 'c1', stdin: nad() });
    expect({ status: add.status, json: add.json['code'] === undefined ? 'result' : add.json }).toEqual({
      status: 0,
      json: 'result',
    });
    const result = add.json as unknown as CniResult;
    expect(result.interfaces?.map((i) => [i.name, i.sandbox])).toEqual(NAMES.map((n) => [n, pod.path]));
    const ips = (result.ips ?? []).map((a) => [a.address, result.interfaces?.[a.interface ?? -1]?.name]);
    expect(ips).toHaveLength(2);
    for (const [address, name] of ips) {
      expect(address).toMatch(/^10\.77\.0\.(1\d|[2-4]\d|50)\/24$/);
      expect(addresses(pod.name, String(name))).toEqual([address]);
    }
    // host-local holds exactly these two, for this container and each pod interface
    expect(held()).toEqual(ips.map(([address, name]) => `${String(address).split('/')[0]} c1/${String(name)}`).sort());
    expect(links(pod.name).sort()).toEqual(['lo', ...NAMES].sort());

    const check = await cni('CHECK', { netns: pod.path, containerId: 'c1', stdin: nad({ prevResult: result }) });
    expect({ status: check.status, json: check.json }).toEqual({ status: 0, json: {} });

    for (let i = 0; i < 2; i++) {
      const del = await cni('DEL', { netns: pod.path, containerId: 'c1', stdin: nad({ prevResult: result }) });
      expect({ status: del.status, json: del.json }).toEqual({ status: 0, json: {} });
      expect(held()).toEqual([]);
      expect(links(pod.name)).toEqual(['lo']);
    }
    lab.dropPod(pod.name);
  }, 60_000);

  it("DEL after the pod's namespace is gone, without prevResult: host-local still gives both addresses back", async () => {
    const pod = lab.newPod('p2');
    const add = await cni('ADD', { netns: pod.path, containerId: 'c2', stdin: nad() });
    expect(add.status).toBe(0);
    expect(held()).toHaveLength(2);
    lab.dropPod(pod.name);
    const del = await cni('DEL', { netns: pod.path, containerId: 'c2', stdin: nad() });
    expect({ status: del.status, json: del.json }).toEqual({ status: 0, json: {} });
    expect(held()).toEqual([]);
  }, 60_000);
});
