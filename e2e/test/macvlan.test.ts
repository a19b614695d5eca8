// Scenario 1 and 3 (lifecycle) of issue 9 on the macvlan example: 6 pods over 3 hosts get one interface per NIC
// network from their host's blocks, Multus' network-status says so, every pod reaches every other pod on both
// networks, and deleting pods (CNI DEL through Multus) gives their addresses back.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { Cluster, type Pod } from '../src/cluster.js';
import { macvlanNetwork, NETWORK } from '../src/network.js';
import { daemon, run, stopDaemon, waitFor } from '../src/sh.js';
import { attachments, pingMatrix, type Attachment } from '../src/survey.js';

let cluster: Cluster | undefined;
const pods: Pod[] = [];
const MN = { group: 'multinic.dev', version: 'v1' };
/** The controller's grace for a departed host whose IPPools still hold allocations (600 s by default). */
const HOST_GRACE_S = 20;

function started(): Cluster {
  if (cluster === undefined) throw new Error('the cluster did not start (see beforeAll)');
  return cluster;
}

const hostOf = (i: number): NonNullable<Cluster['hosts'][number]> => {
  const c = started();
  const h = c.hosts[i % c.hosts.length];
  if (h === undefined) throw new Error('no hosts');
  return h;
};

beforeAll(async () => {
  cluster = await Cluster.start({ hosts: 3, hostGraceSeconds: HOST_GRACE_S });
  await cluster.applyNetwork(macvlanNetwork());
  for (let i = 0; i < 6; i++)
    pods.push(
      await cluster.createPod({ name: `pod-${i + 1}`, host: hostOf(i), networks: JSON.stringify([{ name: NETWORK }]) }),
    );
}, 300_000);

afterAll(async () => {
  // The pool-consistency check of issue 23: no address held twice on one NIC network, whatever the tests did.
  await cluster?.stopChecked();
}, 120_000);

/** `address podUID` of every allocation in the network's IPPools' status, sorted. */
async function allocations(): Promise<string[]> {
  const pools = await started().ippools(NETWORK);
  return pools.flatMap((p) => (p.status?.allocations ?? []).map((a) => `${a.address} ${a.podUID}`)).sort();
}

function expected(rows: readonly Attachment[]): string[] {
  return rows.map((r) => `${r.address.split('/')[0] ?? ''} ${started().pods.get(r.pod)?.uid ?? '?'}`).sort();
}

describe('macvlan network, 6 pods over 3 hosts', () => {
  it("gives every pod one interface per NIC network, addressed from its own host's IPPool for that NIC", async () => {
    const rows = await attachments(started(), NETWORK, pods);
    const summary = pods.map((p) => ({
      pod: p.name,
      nics: rows
        .filter((r) => r.pod === p.name)
        .map((r) => r.nic)
        .sort(),
      poolHosts: [...new Set(rows.filter((r) => r.pod === p.name).map((r) => r.pool?.spec.hostName))],
    }));
    expect(summary).toEqual(pods.map((p) => ({ pod: p.name, nics: ['eth1', 'eth2'], poolHosts: [p.host.name] })));
    expect(new Set(rows.map((r) => r.address)).size).toBe(12);
  });

  it("Multus' network-status annotation lists exactly the interfaces and addresses inside each pod", async () => {
    const c = started();
    const rows = await attachments(c, NETWORK, pods);
    for (const pod of pods) {
      const status = await c.networkStatus(pod);
      const fromAnnotation = status
        .filter((s) => s.name === `default/${NETWORK}`)
        .map((s) => `${s.interface ?? ''} ${(s.ips ?? []).join(',')}`)
        .sort();
      const inside = rows
        .filter((r) => r.pod === pod.name)
        .map((r) => `${r.interface} ${r.address.split('/')[0] ?? ''}`)
        .sort();
      expect({ pod: pod.name, status: fromAnnotation }).toEqual({ pod: pod.name, status: inside });
      expect(status.find((s) => s.default === true)?.interface).toBe('eth0');
    }
  });

  it('every pod pings every other pod on both networks', async () => {
    const pings = await pingMatrix(started(), await attachments(started(), NETWORK, pods));
    expect(pings).toHaveLength(6 * 5 * 2);
    expect(pings.filter((p) => !p.ok)).toEqual([]);
  });

  it('IPPool status holds exactly the addresses of the live pods', async () => {
    const rows = await attachments(started(), NETWORK, pods);
    await waitFor(
      'IPPool status to equal the pods',
      async () => ((await allocations()).join() === expected(rows).join() ? true : undefined),
      30_000,
    ).catch(() => undefined);
    expect(await allocations()).toEqual(expected(rows));
  });

  it('iperf3 between two pods on different hosts reports a throughput (printed, not asserted)', async () => {
    const c = started();
    const rows = await attachments(c, NETWORK, pods);
    const target = rows.find((r) => r.pod === 'pod-2' && r.nic === 'eth1');
    const [from, to] = [pods[0], pods[1]];
    if (target === undefined || from === undefined || to === undefined) throw new Error('pods missing');
    const address = target.address.split('/')[0] ?? '';
    const server = daemon(
      'iperf3',
      ['ip', 'netns', 'exec', to.ns, 'iperf3', '-s', '-1', '-B', address],
      `${c.work}/iperf3.log`,
    );
    try {
      await waitFor(
        'the iperf3 server to listen',
        async () =>
          (await run('ip', ['netns', 'exec', to.ns, 'ss', '-Hltn', 'sport = :5201'])).stdout.includes('5201')
            ? true
            : undefined,
        20_000,
      );
      const res = await run('ip', ['netns', 'exec', from.ns, 'iperf3', '-c', address, '-t', '1', '-J']);
      const report = JSON.parse(res.stdout) as { error?: string; end?: { sum_received?: { bits_per_second: number } } };
      const bps = report.end?.sum_received?.bits_per_second;
      process.stdout.write(
        `iperf3 ${from.name}(${from.host.name}) → ${to.name}(${to.host.name}) on eth1's network: ${bps === undefined ? `no result (${report.error ?? res.stderr})` : `${(bps / 1e9).toFixed(2)} Gbit/s`}\n`,
      );
      expect({ exit: res.code, error: report.error, reported: typeof bps }).toEqual({
        exit: 0,
        error: undefined,
        reported: 'number',
      });
    } finally {
      await stopDaemon(server);
    }
  });
});

describe('address safety (issue 23)', () => {
  it('a second network whose subnet overlaps the first on the same NIC networks is refused (Conflict) and gets no IPPools', async () => {
    const c = started();
    const api = c.kubeConfig.makeApiClient(CustomObjectsApi);
    const first = macvlanNetwork();
    const name = 'overlapping';
    const subnet = String(first.spec['subnet']).replace(/\/\d+$/, '/17');
    await api.createClusterCustomObject({
      ...MN,
      plural: 'multinicnetworks',
      body: {
        apiVersion: 'multinic.dev/v1',
        kind: 'MultiNicNetwork',
        metadata: { name },
        spec: { ...first.spec, subnet },
      },
    });
    try {
      const ready = await waitFor(
        `MultiNicNetwork ${name} refused`,
        async () => {
          const net = (await api.getClusterCustomObject({ ...MN, plural: 'multinicnetworks', name })) as {
            status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
          };
          const condition = net.status?.conditions?.find((x) => x.type === 'Ready');
          return condition?.reason === 'Conflict' ? condition : undefined;
        },
        60_000,
      );
      expect(ready.status).toBe('False');
      expect(ready.message).toContain(`overlaps ${String(first.spec['subnet'])} of MultiNicNetwork ${NETWORK}`);
      expect(await c.ippools(name)).toEqual([]);
      // The pods of the first network keep exactly their addresses.
      expect(await c.addressesHeldTwice()).toEqual([]);
    } finally {
      await api.deleteClusterCustomObject({ ...MN, plural: 'multinicnetworks', name });
    }
  });
});

describe('lifecycle', () => {
  it('deleting pods (CNI DEL through Multus) releases their addresses: IPPool status equals the live pods', async () => {
    const c = started();
    const gone = pods.splice(3, 2); // pod-4 (host-1) and pod-5 (host-2)
    const goneRows = await attachments(c, NETWORK, gone);
    for (const pod of gone) await c.deletePod(pod);
    const rows = await attachments(c, NETWORK, pods);
    await waitFor(
      'IPPool status to equal the remaining pods',
      async () => ((await allocations()).join() === expected(rows).join() ? true : undefined),
      30_000,
    ).catch(() => undefined);
    expect(await allocations()).toEqual(expected(rows));
    const held = (await allocations()).map((a) => a.split(' ')[0]);
    expect(goneRows.map((r) => r.address.split('/')[0]).filter((a) => held.includes(a))).toEqual([]);
  });

  it('a new pod on a host that freed addresses works, and no existing pod changed address', async () => {
    const c = started();
    const before = (await attachments(c, NETWORK, pods)).map((r) => `${r.pod} ${r.interface} ${r.address}`);
    pods.push(await c.createPod({ name: 'pod-7', host: hostOf(0), networks: JSON.stringify([{ name: NETWORK }]) }));
    const rows = await attachments(c, NETWORK, pods);
    expect(rows.filter((r) => r.pod !== 'pod-7').map((r) => `${r.pod} ${r.interface} ${r.address}`)).toEqual(before);
    expect(rows.filter((r) => r.pod === 'pod-7').map((r) => r.pool?.spec.hostName)).toEqual(['host-1', 'host-1']);
    const pings = await pingMatrix(c, rows);
    expect(pings.filter((p) => !p.ok)).toEqual([]);
  });

  it('a fourth host joins: its pod reaches every pod on both networks, and no existing pod changed address', async () => {
    const c = started();
    const before = (await attachments(c, NETWORK, pods)).map((r) => `${r.pod} ${r.interface} ${r.address}`);
    const h4 = await c.addHost(4);
    await c.waitNetworkReady(NETWORK, 8);
    pods.push(await c.createPod({ name: 'pod-8', host: h4, networks: JSON.stringify([{ name: NETWORK }]) }));
    const rows = await attachments(c, NETWORK, pods);
    expect(rows.filter((r) => r.pod !== 'pod-8').map((r) => `${r.pod} ${r.interface} ${r.address}`)).toEqual(before);
    expect(
      rows
        .filter((r) => r.pod === 'pod-8')
        .map((r) => `${r.nic ?? '?'} ${r.pool?.spec.hostName ?? '?'}`)
        .sort(),
    ).toEqual(['eth1 host-4', 'eth2 host-4']);
    const pings = await pingMatrix(c, rows);
    expect(pings).toHaveLength(6 * 5 * 2);
    expect(pings.filter((p) => !p.ok)).toEqual([]);
  });

  it('a host leaves (its pods deleted first): its IPPools go, every other pod keeps its address and reaches the others', async () => {
    const c = started();
    const h4 = c.hosts.find((h) => h.name === 'host-4');
    const pod8 = pods.pop();
    if (h4 === undefined || pod8 === undefined) throw new Error('host-4 or pod-8 missing');
    await c.deletePod(pod8);
    const before = (await attachments(c, NETWORK, pods)).map((r) => `${r.pod} ${r.interface} ${r.address}`);
    await c.removeHost(h4);
    await waitFor(
      "host-4's IPPools to go",
      async () => ((await c.ippools(NETWORK)).some((p) => p.spec.hostName === 'host-4') ? undefined : true),
      60_000,
    ).catch(() => undefined);
    expect((await c.ippools(NETWORK)).map((p) => p.spec.hostName).sort()).toEqual([
      'host-1',
      'host-1',
      'host-2',
      'host-2',
      'host-3',
      'host-3',
    ]);
    const rows = await attachments(c, NETWORK, pods);
    expect(rows.map((r) => `${r.pod} ${r.interface} ${r.address}`)).toEqual(before);
    expect((await pingMatrix(c, rows)).filter((p) => !p.ok)).toEqual([]);
  });

  it('a host leaves while its pod still runs: its IPPools keep their blocks for the grace period, then go', async () => {
    const c = started();
    const h5 = await c.addHost(5);
    await c.waitNetworkReady(NETWORK, 8);
    await c.createPod({ name: 'pod-9', host: h5, networks: JSON.stringify([{ name: NETWORK }]) });
    const blocks = async (host: string): Promise<string[]> =>
      (await c.ippools(NETWORK))
        .filter((p) => p.spec.hostName === host)
        .map((p) => p.spec.podCIDR)
        .sort();
    const held = await blocks('host-5');
    expect(held).toHaveLength(2);
    // The pod has been running for a while: its addresses are in the IPPool status.
    await waitFor(
      "pod-9's addresses in host-5's IPPool status",
      async () =>
        (await c.ippools(NETWORK)).filter(
          (p) => p.spec.hostName === 'host-5' && (p.status?.allocations ?? []).length === 1,
        ).length === 2
          ? true
          : undefined,
      30_000,
    );
    await c.removeHost(h5); // the agent stops (its last status written), the Node goes; pod-9 is never deleted
    const left = Date.now();
    const departed = await waitFor(
      "host-5's IPPools to be marked departed",
      async () => {
        const pools = (await c.ippools(NETWORK)).filter((p) => p.spec.hostName === 'host-5');
        return pools.length === 2 &&
          pools.every((p) => p.metadata.annotations?.['multinic.dev/departed-at'] !== undefined)
          ? pools
          : undefined;
      },
      30_000,
    );
    // Retained with their blocks and pod-9's addresses: nothing of them is planned for anyone else meanwhile.
    expect(departed.map((p) => p.spec.podCIDR).sort()).toEqual(held);
    expect(departed.map((p) => (p.status?.allocations ?? []).length)).toEqual([1, 1]);
    const others = (await c.ippools(NETWORK)).filter((p) => p.spec.hostName !== 'host-5').map((p) => p.spec.podCIDR);
    expect(others.filter((cidr) => held.includes(cidr))).toEqual([]);
    await waitFor(
      "host-5's IPPools to go after the grace period",
      async () => ((await blocks('host-5')).length === 0 ? true : undefined),
      (HOST_GRACE_S + 60) * 1000,
    );
    expect(Date.now() - left).toBeGreaterThanOrEqual((HOST_GRACE_S - 2) * 1000);
    expect((await c.ippools(NETWORK)).map((p) => p.spec.hostName).sort()).toEqual([
      'host-1',
      'host-1',
      'host-2',
      'host-2',
      'host-3',
      'host-3',
    ]);
  }, 180_000);

  it('teardown deletes every namespace, process and file it created', async () => {
    const c = started();
    const daemons = [c.controller, ...c.hosts.flatMap((h) => [h.agent, h.relay])];
    expect(await c.addressesHeldTwice()).toEqual([]);
    expect(c.refusedRequests()).toEqual([]);
    await c.stop();
    expect(await c.leftoverNamespaces()).toEqual([]);
    expect(daemons.map((d) => d?.child.exitCode !== null || d.child.signalCode !== null)).toEqual(
      daemons.map(() => true),
    );
    const { existsSync } = await import('node:fs');
    expect(existsSync(c.work)).toBe(false);
  });
});
