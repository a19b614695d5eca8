// The multi-nic executable against the REAL node agent (@multinic/node-agent, started in-process on a real
// kube-apiserver from @multinic/testenv) and Debian's reference macvlan/static plugins. The "node" is a network
// namespace with veth NICs whose peers live in a second namespace; every pod is a namespace of its own. The
// executable runs inside the node namespace with only the CNI variables, as Multus would run it there.
// Needs root and the testenv binaries (scripts/ensure-tools).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { computePlan } from '@multinic/cidr-core';
import { HOST_LABEL, type CniResult, type CniSpecVersion, type MultiNicNetwork } from '@multinic/crd-types';
import { AgentClient } from '@multinic/cni-ipam';
import { eventually } from '@multinic/testenv';
import type { TestEnv } from '@multinic/testenv';
import { pluginExecutable } from '../../../test-support/cni-exec.js';
import { AgentLab, nodeNics, type Answer } from './agent-lab.js';
import { addresses, ip, links } from './lab.js';

// multi-nic-ipam is @multinic/cni-ipam's executable, next to multi-nic in the repository's dist/cni (turbo builds it
// before these tests: this package's test task depends on @multinic/cni-ipam#sea).
const IPAM_DIR = path.dirname(pluginExecutable('cni-ipam', 'multi-nic-ipam'));
const NODE = 'node-cni';
const NETWORK = 'mn-macvlan';
const GROUP = { group: 'multinic.dev', version: 'v1' };
const lab = new AgentLab({ tag: 'ag', node: NODE, cniPath: `/usr/lib/cni:${IPAM_DIR}`, podName: () => 'web-0' });
const cni = lab.cni.bind(lab);
const SOCKET = lab.socket;
let podCount = 0;

function network(cniVersion: CniSpecVersion): MultiNicNetwork {
  return {
    apiVersion: 'multinic.dev/v1',
    kind: 'MultiNicNetwork',
    metadata: { name: NETWORK },
    spec: {
      subnet: '192.168.0.0/16',
      masterNets: ['10.20.1.0/24', '10.20.2.0/24'],
      multiNICIPAM: true,
      ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2 },
      plugin: { cniVersion, type: 'macvlan', args: { mode: 'bridge' } },
    },
  };
}

/** The NetworkAttachmentDefinition config the controller writes, with what Multus adds for one attachment. */
function nad(cniVersion: CniSpecVersion, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return lab.nad(network(cniVersion), extra);
}

async function createNetworkObjects(kc: TestEnv['kubeConfig']): Promise<void> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const nics = [
    { interfaceName: 'eth1', netAddress: '10.20.1.0/24', hostIP: '10.20.1.2' },
    { interfaceName: 'eth2', netAddress: '10.20.2.0/24', hostIP: '10.20.2.2' },
  ];
  const config = {
    subnet: '192.168.0.0/16',
    interfaceBlock: 2,
    hostBlock: 6,
    masterNets: ['10.20.1.0/24', '10.20.2.0/24'],
    excludeCIDRs: [],
  };
  const plan = computePlan({ networkName: NETWORK, config, hosts: [{ hostName: NODE, interfaces: nics }] });
  await api.createClusterCustomObject({ ...GROUP, plural: 'multinicnetworks', body: network('1.0.0') });
  await api.createClusterCustomObject({
    ...GROUP,
    plural: 'cidrs',
    body: { apiVersion: 'multinic.dev/v1', kind: 'CIDR', metadata: { name: NETWORK }, spec: plan.plan },
  });
  for (const pool of plan.ippools) {
    const spec = {
      network: NETWORK,
      hostName: pool.hostName,
      interfaceName: pool.interfaceName,
      podCIDR: pool.podCIDR,
      vlanCIDR: pool.vlanCIDR,
      excludes: pool.excludes,
    };
    await api.createClusterCustomObject({
      ...GROUP,
      plural: 'ippools',
      body: {
        apiVersion: 'multinic.dev/v1',
        kind: 'IPPool',
        metadata: { name: pool.name, labels: { [HOST_LABEL]: pool.hostName } },
        spec,
      },
    });
  }
}

function newPod(): { name: string; path: string } {
  podCount += 1;
  return lab.newPod(`p${podCount}`);
}

function dropPod(name: string): void {
  lab.dropPod(name);
}

interface PoolObject {
  spec: { interfaceName: string };
  status?: { allocations?: { address: string; containerID: string }[] };
}

async function pools(): Promise<PoolObject[]> {
  const api = lab.env.kubeConfig.makeApiClient(CustomObjectsApi);
  return ((await api.listClusterCustomObject({ ...GROUP, plural: 'ippools' })) as { items: PoolObject[] }).items;
}

/** `address containerID` of every allocation mirrored into this node's IPPool status. */
async function poolAllocations(): Promise<string[]> {
  return (await pools())
    .flatMap((p) => (p.status?.allocations ?? []).map((a) => `${a.address} ${a.containerID}`))
    .sort();
}

/** `interface address` of the allocations of one container, from the IPPools' status. */
async function allocationsOf(containerID: string): Promise<string[]> {
  return (await pools()).flatMap((p) =>
    (p.status?.allocations ?? [])
      .filter((a) => a.containerID === containerID)
      .map((a) => `${p.spec.interfaceName} ${a.address}`),
  );
}

beforeAll(async () => {
  await lab.start({
    nics: nodeNics('10.20'),
    objects: createNetworkObjects,
    statusStdin: nad('1.1.0'),
  });
}, 180_000);

afterAll(() => lab.stop(), 60_000);

function sandboxed(result: CniResult): [string, string | undefined][] {
  return (result.ips ?? []).map((a) => [a.address, result.interfaces?.[a.interface ?? -1]?.name]);
}

describe('multi-nic with the node agent', () => {
  it('ADD gives the pod one macvlan per selected NIC with the addresses the agent allocated; DEL removes and releases, twice', async () => {
    const pod = newPod();
    try {
      const add = await cni('ADD', { netns: pod.path, stdin: nad('1.0.0') });
      expect(add.json['code']).toBeUndefined();
      expect(add.status).toBe(0);
      const result = add.json as unknown as CniResult;
      expect(result.cniVersion).toBe('1.0.0');
      expect(result.interfaces?.map((i) => [i.name, i.sandbox])).toEqual([
        ['net1', pod.path],
        ['net1-1', pod.path],
      ]);
      const [first, second] = sandboxed(result);
      expect(first?.[1]).toBe('net1');
      expect(second?.[1]).toBe('net1-1');
      expect(addresses(pod.name, 'net1')).toEqual([first?.[0]]);
      expect(addresses(pod.name, 'net1-1')).toEqual([second?.[0]]);
      expect([first?.[0], second?.[0]]).toEqual([
        expect.stringMatching(/^192\.168\.(0|64|128|192)\.\d+\/18$/),
        expect.stringMatching(/^192\.168\.(0|64|128|192)\.\d+\/18$/),
      ]);
      await eventually(async () => expect(await poolAllocations()).toHaveLength(2));

      const del = await cni('DEL', { netns: pod.path, stdin: nad('1.0.0', { prevResult: result }) });
      expect({ status: del.status, json: del.json }).toEqual({ status: 0, json: {} });
      expect(links(pod.name)).toEqual(['lo']);
      await eventually(async () => expect(await poolAllocations()).toEqual([]));
      const again = await cni('DEL', { netns: pod.path, stdin: nad('1.0.0', { prevResult: result }) });
      expect(again.status).toBe(0);
    } finally {
      dropPod(pod.name);
    }
  }, 60_000);

  it.each([
    { version: '0.3.1' as const, ipVersion: '4' },
    { version: '0.4.0' as const, ipVersion: '4' },
  ])(
    'ADD on a $version network prints a $version result with the same interface indexes',
    async ({ version, ipVersion }) => {
      const pod = newPod();
      try {
        const add = await cni('ADD', {
          netns: pod.path,
          stdin: nad(version),
          containerId: `conv${version.replaceAll('.', '')}`,
        });
        expect(add.status).toBe(0);
        const result = add.json as unknown as CniResult;
        expect(result.cniVersion).toBe(version);
        expect(result.ips?.map((a) => [a.version, result.interfaces?.[a.interface ?? -1]?.name])).toEqual([
          [ipVersion, 'net1'],
          [ipVersion, 'net1-1'],
        ]);
        expect(
          (
            await cni('DEL', {
              netns: pod.path,
              stdin: nad(version),
              containerId: `conv${version.replaceAll('.', '')}`,
            })
          ).status,
        ).toBe(0);
      } finally {
        dropPod(pod.name);
      }
    },
    60_000,
  );

  it('a second delegate that fails: the first interface is removed and the addresses released', async () => {
    const pod = newPod();
    try {
      ip('-n', pod.name, 'link', 'add', 'net1-1', 'type', 'veth', 'peer', 'name', 'squatter'); // net1-1 is taken
      const add = await cni('ADD', { netns: pod.path, stdin: nad('1.0.0'), containerId: 'rollback' });
      expect(add.status).toBe(1);
      expect(String(add.json['msg'])).toMatch(/^macvlan ADD net1-1: /);
      expect(links(pod.name).sort()).toEqual(['lo', 'net1-1', 'squatter']);
      await eventually(async () =>
        expect((await poolAllocations()).filter((a) => a.endsWith(' rollback'))).toEqual([]),
      );
    } finally {
      dropPod(pod.name);
    }
  }, 60_000);

  it('DEL succeeds and cleans the pod after the agent lost the attachment', async () => {
    const pod = newPod();
    try {
      const add = await cni('ADD', { netns: pod.path, stdin: nad('1.0.0'), containerId: 'lost' });
      expect(add.status).toBe(0);
      const released = await new AgentClient({ socketPath: SOCKET }).release({
        network: NETWORK,
        containerID: 'lost',
        ifname: 'net1',
        podUID: 'uid-lost',
      });
      expect(released.released).toHaveLength(2);
      const del = await cni('DEL', {
        netns: pod.path,
        stdin: nad('1.0.0', { prevResult: add.json }),
        containerId: 'lost',
      });
      expect(del.status).toBe(0);
      expect(links(pod.name)).toEqual(['lo']);
    } finally {
      dropPod(pod.name);
    }
  }, 60_000);

  it('DEL after the pod namespace is gone releases the addresses', async () => {
    const pod = newPod();
    const add = await cni('ADD', { netns: pod.path, stdin: nad('1.0.0'), containerId: 'gone' });
    expect(add.status).toBe(0);
    dropPod(pod.name);
    expect(
      (await cni('DEL', { netns: pod.path, stdin: nad('1.0.0', { prevResult: add.json }), containerId: 'gone' }))
        .status,
    ).toBe(0);
    expect((await cni('DEL', { netns: '', stdin: nad('1.0.0'), containerId: 'gone' })).status).toBe(0);
    await eventually(async () => expect((await poolAllocations()).filter((a) => a.endsWith(' gone'))).toEqual([]));
  }, 60_000);

  it('CHECK passes on a healthy pod and fails, naming what is wrong, when an address, a table route, a source rule, an interface or the agent record is missing', async () => {
    const pod = newPod();
    try {
      const add = await cni('ADD', { netns: pod.path, stdin: nad('1.0.0'), containerId: 'checked' });
      expect(add.status).toBe(0);
      const check = (prevResult: unknown): Promise<Answer> =>
        cni('CHECK', { netns: pod.path, stdin: nad('1.0.0', { prevResult }), containerId: 'checked' });
      expect(await check(add.json)).toMatchObject({ status: 0, json: {} });
      // prevResult claims an address the agent does not hold.
      const result = add.json as unknown as CniResult;
      const forged = {
        ...result,
        ips: (result.ips ?? []).map((a, i) => (i === 0 ? { ...a, address: '192.168.250.250/18' } : a)),
      };
      const differ = await check(forged);
      expect([differ.status, differ.json['code'], differ.json['msg']]).toEqual([
        1,
        999,
        expect.stringMatching(/^addresses differ between the node agent and prevResult .*192\.168\.250\.250/),
      ]);
      // The address is gone from net1-1 inside the pod: macvlan's CHECK sees it.
      const second = result.ips?.[1]?.address ?? '';
      ip('-n', pod.name, 'addr', 'del', second, 'dev', 'net1-1');
      const noAddress = await check(add.json);
      expect(noAddress.status).not.toBe(0);
      expect(String(noAddress.json['msg'])).toMatch(/^macvlan CHECK net1-1: /);
      ip('-n', pod.name, 'addr', 'add', second, 'dev', 'net1-1');
      // Back, but the kernel dropped the routes through it from net1-1's table with it: CHECK names them.
      const noRoutes = await check(add.json);
      expect([noRoutes.status, noRoutes.json['code'], noRoutes.json['msg']]).toEqual([
        1,
        999,
        `pod routing in ${pod.path}: the route "192.168.64.0/18 dev net1-1 table 101" is missing`,
      ]);
      const [secondIp = ''] = second.split('/');
      ip(
        '-n',
        pod.name,
        'route',
        'add',
        '192.168.64.0/18',
        'dev',
        'net1-1',
        'scope',
        'link',
        'src',
        secondIp,
        'table',
        '101',
      );
      expect((await check(add.json)).status).toBe(0);
      // A source rule is gone.
      ip('-n', pod.name, 'rule', 'del', 'from', secondIp);
      const noRule = await check(add.json);
      expect([noRule.status, noRule.json['msg']]).toEqual([
        1,
        `pod routing in ${pod.path}: the rule "from ${secondIp}/32 lookup <table>" is missing`,
      ]);
      // The interface itself is gone.
      ip('-n', pod.name, 'link', 'del', 'net1');
      const noLink = await check(add.json);
      expect(noLink.status).not.toBe(0);
      expect(String(noLink.json['msg'])).toMatch(/^macvlan CHECK net1: /);
      // The agent no longer holds the attachment.
      await new AgentClient({ socketPath: SOCKET }).release({
        network: NETWORK,
        containerID: 'checked',
        ifname: 'net1',
        podUID: 'uid-checked',
      });
      const noRecord = await check(add.json);
      expect([noRecord.status, noRecord.json['code'], noRecord.json['msg']]).toEqual([
        1,
        999,
        `the node agent holds no addresses of network ${NETWORK} for container checked interface net1`,
      ]);
    } finally {
      dropPod(pod.name);
    }
  }, 60_000);

  it('DEL without prevResult rebuilds the delegates from the agent record: the interfaces go, the addresses are released, twice', async () => {
    const pod = newPod();
    try {
      const add = await cni('ADD', { netns: pod.path, stdin: nad('1.0.0'), containerId: 'record' });
      expect(add.status).toBe(0);
      expect(links(pod.name).sort()).toEqual(['lo', 'net1', 'net1-1']);
      const held = await new AgentClient({ socketPath: SOCKET }).lookup({
        network: NETWORK,
        containerID: 'record',
        ifname: 'net1',
      });
      expect(held.allocations.map((a) => [a.interfaceName, a.podInterface, a.address])).toEqual(
        (add.json as unknown as CniResult).ips?.map((a, i) => [
          `eth${i + 1}`,
          i === 0 ? 'net1' : `net1-${i}`,
          a.address,
        ]),
      );
      const del = await cni('DEL', { netns: pod.path, stdin: nad('1.0.0'), containerId: 'record' });
      expect({ status: del.status, json: del.json }).toEqual({ status: 0, json: {} });
      expect(links(pod.name)).toEqual(['lo']);
      expect(
        (
          await new AgentClient({ socketPath: SOCKET }).lookup({
            network: NETWORK,
            containerID: 'record',
            ifname: 'net1',
          })
        ).allocations,
      ).toEqual([]);
      await eventually(async () => expect((await poolAllocations()).filter((a) => a.endsWith(' record'))).toEqual([]));
      expect((await cni('DEL', { netns: pod.path, stdin: nad('1.0.0'), containerId: 'record' })).status).toBe(0);
    } finally {
      dropPod(pod.name);
    }
  }, 60_000);

  it('GC (1.1.0) releases every attachment that is not in the valid list', async () => {
    const pod = newPod();
    try {
      expect((await cni('ADD', { netns: pod.path, stdin: nad('1.0.0'), containerId: 'keep' })).status).toBe(0);
      const gc = await cni('GC', { netns: '', stdin: nad('1.1.0', { 'cni.dev/valid-attachments': [] }) });
      expect(gc.status).toBe(0);
      await eventually(async () => expect(await poolAllocations()).toEqual([]));
    } finally {
      dropPod(pod.name);
    }
  }, 60_000);
});

describe('multi-nic-ipam as the IPAM of a reference plugin', () => {
  const macvlanWithIpam = (cniVersion: string): Record<string, unknown> => ({
    cniVersion,
    name: NETWORK,
    type: 'macvlan',
    master: 'eth2',
    mode: 'bridge',
    ipam: { type: 'multi-nic-ipam', agentSocket: SOCKET },
  });

  it('Debian macvlan gets its address from the agent through multi-nic-ipam on CNI_PATH, on the NIC it is attached to', async () => {
    const pod = newPod();
    try {
      const add = await cni('ADD', {
        netns: pod.path,
        stdin: macvlanWithIpam('1.0.0'),
        containerId: 'ipam1',
        plugin: '/usr/lib/cni/macvlan',
      });
      expect(add.json['code']).toBeUndefined();
      const result = add.json as unknown as CniResult;
      expect(result.ips).toHaveLength(1);
      const address = result.ips?.[0]?.address ?? '';
      expect(addresses(pod.name, 'net1')).toEqual([address]);
      await eventually(async () => expect(await allocationsOf('ipam1')).toEqual([`eth2 ${address.split('/')[0]}`]));
      const del = await cni('DEL', {
        netns: pod.path,
        stdin: macvlanWithIpam('1.0.0'),
        containerId: 'ipam1',
        plugin: '/usr/lib/cni/macvlan',
      });
      expect(del.status).toBe(0);
      await eventually(async () => expect((await poolAllocations()).filter((a) => a.endsWith(' ipam1'))).toEqual([]));
    } finally {
      dropPod(pod.name);
    }
  }, 60_000);

  it('multi-nic-ipam alone answers an IPAM result in the configuration version and releases on DEL', async () => {
    const ipamBin = path.join(IPAM_DIR, 'multi-nic-ipam');
    const add = await cni('ADD', {
      netns: '/run/netns/none',
      stdin: macvlanWithIpam('0.3.1'),
      containerId: 'ipam2',
      plugin: ipamBin,
    });
    expect(add.status).toBe(0);
    const result = add.json as unknown as CniResult;
    expect(result.cniVersion).toBe('0.3.1');
    expect(result.interfaces).toBeUndefined();
    expect(result.ips).toEqual([{ version: '4', address: expect.stringMatching(/^192\.168\.\d+\.\d+\/18$/) }]);
    expect(
      (await cni('DEL', { netns: '', stdin: macvlanWithIpam('0.3.1'), containerId: 'ipam2', plugin: ipamBin })).status,
    ).toBe(0);
    expect(
      (await cni('DEL', { netns: '', stdin: macvlanWithIpam('0.3.1'), containerId: 'ipam2', plugin: ipamBin })).status,
    ).toBe(0);
    await eventually(async () => expect((await poolAllocations()).filter((a) => a.endsWith(' ipam2'))).toEqual([]));
  }, 60_000);
});
