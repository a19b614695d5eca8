// What the demo prints and the tests assert: every pod's secondary interfaces, which NIC network each address is on
// (from the IPPools), and the result of pinging every other pod on every network.
import { parseAddress, parsePrefix, prefixContainsAddress } from '@multinic/cidr-core';
import type { Cluster, IPPool, Pod } from './cluster.js';

export interface Attachment {
  readonly pod: string;
  readonly host: string;
  readonly interface: string;
  /** address/prefix */
  readonly address: string;
  /** The host NIC (eth1, eth2) whose IPPool holds the address; undefined: no pool of the network holds it. */
  readonly nic: string | undefined;
  /** The IPPool that holds the address. */
  readonly pool: IPPool | undefined;
  /**
   * The NIC network of that host NIC in the address's family (10.10.1.0/24, or fd10:10:1::/64 for an IPv6 address):
   * pods ping each other per NIC network, so only within one family.
   */
  readonly nicNetwork: string | undefined;
}

export interface PingResult {
  readonly from: string;
  /** The address of the pinging pod's interface on that NIC network. */
  readonly fromAddress: string;
  readonly to: string;
  readonly nic: string;
  readonly address: string;
  /** The address family pinged (`ping -4` or `ping -6`). */
  readonly family: 4 | 6;
  readonly ok: boolean;
}

/** Whether `address` (with or without /prefix) lies in `cidr`, IPv4 or IPv6; false across families. */
export function inCidr(address: string, cidr: string): boolean {
  const a = parseAddress(address.split('/')[0] ?? '');
  const net = parsePrefix(cidr, { normalize: true });
  return a.ok && net.ok && prefixContainsAddress(net.value, a.value);
}

/** The address family of an address (with or without /prefix). */
export const familyOf = (address: string): 4 | 6 => (address.includes(':') ? 6 : 4);

/**
 * The secondary attachments of `pods` (interfaces other than the cluster network's eth0), each with the IPPool of
 * `network` that holds its address: one of the network's IPPools now, or of `earlier` (IPPools listed before, e.g.
 * before host-device pods took their NICs out of the hosts).
 */
export async function attachments(
  cluster: Cluster,
  network: string,
  pods: readonly Pod[],
  earlier: readonly IPPool[] = [],
): Promise<Attachment[]> {
  const now = await cluster.ippools(network);
  const pools = [...now, ...earlier.filter((e) => !now.some((p) => p.metadata.name === e.metadata.name))];
  const rows: Attachment[] = [];
  for (const pod of pods) {
    for (const i of await cluster.podInterfaces(pod)) {
      if (i.name === 'eth0') continue;
      const pool = pools.find((p) => inCidr(i.address, p.spec.podCIDR));
      const nic = pool === undefined ? undefined : pod.host.nics.find((n) => n.name === pool.spec.interfaceName);
      const own = familyOf(i.address) === 6 ? nic?.network6 : nic?.network;
      rows.push({
        pod: pod.name,
        host: pod.host.name,
        interface: i.name,
        address: i.address,
        nic: pool?.spec.interfaceName,
        pool,
        nicNetwork: pool === undefined ? undefined : (own ?? pool.spec.vlanCIDR),
      });
    }
  }
  return rows;
}

async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Every pod pings every other pod's address on each NIC network it shares with it (from each of its interfaces there),
 * IPv4 addresses with `ping -4` and IPv6 ones with `ping -6` (a NIC network is of one family).
 */
export async function pingMatrix(cluster: Cluster, rows: readonly Attachment[]): Promise<PingResult[]> {
  const pairs: { from: Attachment; to: Attachment }[] = [];
  for (const from of rows)
    for (const to of rows)
      if (
        from.pod !== to.pod &&
        from.nicNetwork !== undefined &&
        from.nicNetwork === to.nicNetwork &&
        familyOf(from.address) === familyOf(to.address)
      )
        pairs.push({ from, to });
  return pool(pairs, 4, async ({ from, to }) => {
    const pod = cluster.pods.get(from.pod);
    const address = to.address.split('/')[0] ?? '';
    const ok = pod === undefined ? false : await cluster.ping(pod, address);
    const family = familyOf(address);
    return { from: from.pod, fromAddress: from.address, to: to.pod, nic: from.nic ?? '', address, family, ok };
  });
}

/** A plain text table: one line per attachment, with its pings to the other pods on the same NIC network. */
export function formatTable(rows: readonly Attachment[], pings: readonly PingResult[]): string {
  const header = ['POD', 'HOST', 'INTERFACE', 'NIC', 'ADDRESS', 'PING (other pods on this network)'];
  const lines = rows.map((r) => {
    const mine = pings.filter((p) => p.from === r.pod && p.fromAddress === r.address);
    const ok = mine.filter((p) => p.ok).length;
    const failed = mine.filter((p) => !p.ok).map((p) => `${p.to}(${p.address})`);
    return [
      r.pod,
      r.host,
      r.interface,
      r.nic ?? '?',
      r.address,
      `${ok}/${mine.length} ok${failed.length > 0 ? `; FAILED: ${failed.join(' ')}` : ''}`,
    ];
  });
  const all = [header, ...lines];
  const widths = header.map((_, c) => Math.max(...all.map((l) => (l[c] ?? '').length)));
  return all
    .map((l) => l.map((cell, c) => (c === l.length - 1 ? cell : cell.padEnd(widths[c] ?? 0))).join('  '))
    .join('\n');
}
