// The node's allocation state: one cidr-core RangeAllocator per IPPool of this node, and the records that say who
// holds each address. In memory and free of I/O (time is passed in), so every rule is unit-tested; the agent
// persists it (checkpoint) and mirrors it (IPPool status) around these calls.
import type { Family, IpAddress, IpPrefix, Result } from '@multinic/cidr-core';
import {
  RangeAllocator,
  formatAddress,
  parseAddress,
  parsePrefix,
  prefixContainsAddress,
  prefixesOverlap,
} from '@multinic/cidr-core';

/** The part of an IPPool spec the agent allocates from. */
export interface PoolSpec {
  readonly name: string;
  readonly network: string;
  readonly interfaceName: string;
  readonly podCIDR: string;
  readonly vlanCIDR: string;
  readonly excludes: readonly string[];
  /** The pods' gateway on this NIC network (`IPPool.spec.gateway`): returned with every allocation from the pool. */
  readonly gateway?: string | undefined;
}

/** Who holds one address. `ifname` is the CNI_IFNAME of the attachment (the idempotency key with containerID). */
export interface AllocationRecord {
  readonly pool: string;
  readonly address: string;
  readonly network: string;
  readonly containerID: string;
  readonly ifname: string;
  readonly interfaceName: string;
  readonly podInterface: string;
  readonly podName: string;
  readonly podNamespace: string;
  readonly podUID: string;
  /** Milliseconds since the epoch (from the injected clock): the GC grace period counts from here. */
  readonly createdAt: number;
}

export interface AllocateInput {
  readonly network: string;
  readonly containerID: string;
  readonly ifname: string;
  readonly pod: { readonly name: string; readonly namespace: string; readonly uid: string };
  readonly nics: readonly { readonly interfaceName: string; readonly podInterface: string }[];
  readonly ips?: readonly string[] | undefined;
  /**
   * The network's delegate takes the whole NIC (host-device moves it into the pod's network namespace): a NIC on
   * which another attachment holds an address is refused (NIC_IN_USE), so one NIC is never given to two pods.
   */
  readonly exclusive?: boolean | undefined;
  /** The families the network declares (`spec.subnets`); a NIC without a pool of each is NOT_READY. */
  readonly families?: readonly Family[] | undefined;
}

export interface AllocateOutcome {
  /**
   * One record per requested NIC and family of the network, in request order, the first family before the other
   * (ADR 0006: a dual-stack network's NIC gives one address of each family); `byNic` groups them per NIC.
   */
  readonly records: readonly AllocationRecord[];
  /** False when the attachment already had these addresses (a repeated ADD). */
  readonly created: boolean;
}

/**
 * Why an allocation was refused. The store says what happened; the API layer decides how to answer it (HTTP status,
 * CNI code: one table in server/api.ts).
 */
export type AllocateFailureCode =
  /** No IPPool of the network for a requested NIC on this node (yet): the controller may not have planned it. */
  | 'NOT_READY'
  /** The attachment already holds addresses on another set of NICs. */
  | 'CONFLICT'
  /** A repeated ADD asks for an address the attachment does not hold. */
  | 'ADDRESS_MISMATCH'
  /** A requested address does not parse. */
  | 'INVALID_ADDRESS'
  /** A requested address lies in none of the selected NICs' pod blocks. */
  | 'OUT_OF_BLOCK'
  /** Two requested addresses fall in one NIC's pod block. */
  | 'ONE_ADDRESS_PER_NIC'
  /** A requested address is in its block but cannot be given (taken, excluded, network or broadcast address). */
  | 'ADDRESS_UNAVAILABLE'
  /** A NIC's pool (of one family) has no free address. */
  | 'EXHAUSTED'
  /** A whole-NIC attachment (host-device) asks for a NIC another attachment holds an address on. */
  | 'NIC_IN_USE';

/** A refused allocation: its code, the request field at fault and a message saying what to do. Nothing was taken. */
export interface AllocateFailure {
  readonly ok: false;
  readonly code: AllocateFailureCode;
  readonly field: string;
  readonly message: string;
}

export type StoreOutcome<T> = { readonly ok: true; readonly value: T } | AllocateFailure;

function ok<T>(value: T): StoreOutcome<T> {
  return { ok: true, value };
}

function refuse(code: AllocateFailureCode, field: string, message: string): AllocateFailure {
  return { ok: false, code, field, message };
}

interface Pool {
  readonly spec: PoolSpec;
  readonly block: IpPrefix;
  readonly vlanLength: number;
  readonly allocator: RangeAllocator;
  readonly byAddress: Map<string, AllocationRecord>;
}

export function attachmentKey(network: string, containerID: string, ifname: string): string {
  return `${network}\u0000${containerID}\u0000${ifname}`;
}

function keyOf(r: Pick<AllocationRecord, 'network' | 'containerID' | 'ifname'>): string {
  return attachmentKey(r.network, r.containerID, r.ifname);
}

/** Builds a pool: an allocator without excludes, current holders marked, then the excludes reserved (holders stay). */
function buildPool(
  spec: PoolSpec,
  holders: Iterable<AllocationRecord>,
): { pool: Pool; dropped: AllocationRecord[] } | { error: string } {
  const block = parsePrefix(spec.podCIDR);
  if (!block.ok) return { error: `IPPool ${spec.name}: spec.podCIDR ${spec.podCIDR}: ${block.error}` };
  const vlan = parsePrefix(spec.vlanCIDR);
  if (!vlan.ok) return { error: `IPPool ${spec.name}: spec.vlanCIDR ${spec.vlanCIDR}: ${vlan.error}` };
  const allocator = new RangeAllocator({ block: block.value });
  const pool: Pool = { spec, block: block.value, vlanLength: vlan.value.length, allocator, byAddress: new Map() };
  const dropped: AllocationRecord[] = [];
  for (const record of holders) {
    const ip = parseAddress(record.address);
    if (ip.ok && allocator.allocateSpecific(ip.value).ok) pool.byAddress.set(record.address, record);
    else dropped.push(record);
  }
  for (const [i, text] of spec.excludes.entries()) {
    const exclude = parsePrefix(text);
    if (!exclude.ok) return { error: `IPPool ${spec.name}: spec.excludes[${i}] ${text}: ${exclude.error}` };
    allocator.reserve(exclude.value);
  }
  return { pool, dropped };
}

function samePool(a: PoolSpec, b: PoolSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface PoolChange {
  /** Records whose pool went away or whose address no longer fits the pool. */
  readonly dropped: AllocationRecord[];
  /** IPPools that could not be used, with the reason. */
  readonly problems: string[];
  /** Names of pools added, changed or removed. */
  readonly changed: string[];
}

/** The allocations put and removed since the last `takeChanges()` (each key once, as it is now). */
export interface AllocationChanges {
  readonly put: readonly AllocationRecord[];
  readonly del: readonly { readonly pool: string; readonly address: string }[];
}

export class AllocationStore {
  readonly #pools = new Map<string, Pool>();
  readonly #byAttachment = new Map<string, AllocationRecord[]>();
  /** `network \0 interfaceName` → the pool name of each family there (IPv4 first). */
  readonly #byNic = new Map<string, string[]>();
  /** `pool \0 address` → the last record there since the last takeChanges, and whether it is still held. */
  readonly #journal = new Map<string, { readonly record: AllocationRecord; readonly held: boolean }>();

  /** Every record change since the last call (allocate, release, GC, restore, pools dropped), so a commit is O(changes). */
  takeChanges(): AllocationChanges {
    const put: AllocationRecord[] = [];
    const del: { pool: string; address: string }[] = [];
    for (const { record, held } of this.#journal.values()) {
      if (held) put.push(record);
      else del.push({ pool: record.pool, address: record.address });
    }
    this.#journal.clear();
    return { put, del };
  }

  #journalPut(r: AllocationRecord): void {
    this.#journal.set(`${r.pool}\u0000${r.address}`, { record: r, held: true });
  }

  #journalDel(r: AllocationRecord): void {
    this.#journal.set(`${r.pool}\u0000${r.address}`, { record: r, held: false });
  }

  /** Replaces the set of pools (the IPPools whose spec.hostName is this node). */
  setPools(specs: readonly PoolSpec[]): PoolChange {
    const wanted = new Map(specs.map((s) => [s.name, s]));
    const dropped: AllocationRecord[] = [];
    const problems: string[] = [];
    const changed: string[] = [];
    for (const name of [...this.#pools.keys()]) {
      if (wanted.has(name)) continue;
      dropped.push(...this.#dropPool(name));
      changed.push(name);
    }
    for (const spec of specs) {
      const current = this.#pools.get(spec.name);
      if (current !== undefined && samePool(current.spec, spec)) continue;
      const built = buildPool(spec, current?.byAddress.values() ?? []);
      if ('error' in built) {
        problems.push(built.error);
        continue;
      }
      for (const r of built.dropped) {
        this.#unindex(r);
        this.#journalDel(r);
      }
      dropped.push(...built.dropped);
      this.#pools.set(spec.name, built.pool);
      changed.push(spec.name);
    }
    this.#reindexNics();
    return { dropped, problems, changed };
  }

  #dropPool(name: string): AllocationRecord[] {
    const pool = this.#pools.get(name);
    this.#pools.delete(name);
    const records = [...(pool?.byAddress.values() ?? [])];
    for (const r of records) {
      this.#unindex(r);
      this.#journalDel(r);
    }
    return records;
  }

  /** One pool per (network, NIC, family): the first by name when hand-made pools repeat one. */
  #reindexNics(): void {
    this.#byNic.clear();
    const names = [...this.#pools.keys()].sort();
    const families = new Map<string, Map<Family, string>>();
    for (const name of names) {
      const pool = this.#pools.get(name);
      if (pool === undefined) continue;
      const key = `${pool.spec.network}\u0000${pool.spec.interfaceName}`;
      const byFamily = families.get(key) ?? new Map<Family, string>();
      if (!byFamily.has(pool.block.family)) byFamily.set(pool.block.family, name);
      families.set(key, byFamily);
    }
    for (const [key, byFamily] of families)
      this.#byNic.set(
        key,
        FAMILIES.flatMap((f) => byFamily.get(f) ?? []),
      );
  }

  /**
   * The address families of a network on this node: those of its pools (a network with pools of both families is
   * dual-stack, ADR 0006), IPv4 first. Empty when it has no pool here.
   */
  families(network: string, declared: readonly Family[] = []): Family[] {
    const present = new Set<Family>(declared);
    for (const pool of this.#pools.values()) if (pool.spec.network === network) present.add(pool.block.family);
    return FAMILIES.filter((f) => present.has(f));
  }

  /**
   * The NICs that can serve a pod of the network: those with a pool of every family the network has here, or
   * declares (`declared`: its `spec.subnets`' families — a dual-stack network's NIC whose IPv6 pool is missing
   * must not hand out an IPv4 address alone).
   */
  usableNics(network: string, declared: readonly Family[] = []): Set<string> {
    const wanted = this.families(network, declared).length;
    const out = new Set<string>();
    for (const [key, names] of this.#byNic) {
      const [net, nic] = key.split('\u0000');
      if (net === network && nic !== undefined && names.length === wanted) out.add(nic);
    }
    return out;
  }

  pools(): PoolSpec[] {
    return [...this.#pools.values()].map((p) => p.spec);
  }

  poolSpec(name: string): PoolSpec | undefined {
    return this.#pools.get(name)?.spec;
  }

  /** The pool of a network on one of this node's NICs (of the first family when the NIC has two). */
  poolFor(network: string, interfaceName: string): PoolSpec | undefined {
    const name = this.#byNic.get(`${network}\u0000${interfaceName}`)?.[0];
    return name === undefined ? undefined : this.#pools.get(name)?.spec;
  }

  /** Networks with at least one pool on this node. */
  networks(): Set<string> {
    return new Set([...this.#pools.values()].map((p) => p.spec.network));
  }

  /** Prefix length of the vlan block of a pool (the pod address's prefix length). */
  vlanLength(pool: string): number | undefined {
    return this.#pools.get(pool)?.vlanLength;
  }

  records(): AllocationRecord[] {
    return [...this.#pools.values()].flatMap((p) => [...p.byAddress.values()]);
  }

  poolRecords(pool: string): AllocationRecord[] {
    return [...(this.#pools.get(pool)?.byAddress.values() ?? [])].sort((a, b) => compareText(a.address, b.address));
  }

  attachment(network: string, containerID: string, ifname: string): readonly AllocationRecord[] | undefined {
    return this.#byAttachment.get(attachmentKey(network, containerID, ifname));
  }

  #index(r: AllocationRecord): void {
    const key = keyOf(r);
    const list = this.#byAttachment.get(key);
    if (list === undefined) this.#byAttachment.set(key, [r]);
    else list.push(r);
  }

  #unindex(r: AllocationRecord): void {
    const key = keyOf(r);
    const rest = (this.#byAttachment.get(key) ?? []).filter((x) => !(x.pool === r.pool && x.address === r.address));
    if (rest.length === 0) this.#byAttachment.delete(key);
    else this.#byAttachment.set(key, rest);
  }

  /**
   * One address per NIC, all or nothing. Idempotent on (network, containerID, ifname): a repeated request gets
   * the same addresses. Requested `ips` must each fall in exactly one NIC's pod block or the request fails.
   */
  allocate(input: AllocateInput, now: number): StoreOutcome<AllocateOutcome> {
    const existing = this.attachment(input.network, input.containerID, input.ifname);
    if (existing !== undefined) return repeated(input, existing);
    const pools = this.#poolsFor(input);
    if (!pools.ok) return pools;
    if (input.exclusive === true) {
      const busy = this.#nicInUse(input);
      if (busy !== undefined) return busy;
    }
    // One slot per (NIC, family): a dual-stack NIC takes an address of each family, all or nothing.
    const slots = pools.value.flatMap((perNic, nic) => perNic.map((pool) => ({ nic, pool })));
    const requested = assignRequested(input, slots);
    if (!requested.ok) return requested;
    const taken: { nic: number; pool: Pool; ip: IpAddress }[] = [];
    for (const [s, { nic, pool }] of slots.entries()) {
      const want = requested.value[s];
      const got = want === undefined ? this.#allocateFree(pool) : this.#allocateWanted(pool, want.ip);
      if (!got.ok) {
        for (const t of taken) t.pool.allocator.release(t.ip);
        const dualStack = (pools.value[nic]?.length ?? 0) > 1;
        return allocationFailure({ input, index: nic, requestedIndex: want?.k, error: got.error, pool, dualStack });
      }
      taken.push({ nic, pool, ip: got.value });
    }
    const records = taken.map(({ nic: i, pool, ip }): AllocationRecord => {
      const nic = input.nics[i] ?? { interfaceName: pool.spec.interfaceName, podInterface: '' };
      return {
        pool: pool.spec.name,
        address: formatAddress(ip),
        network: input.network,
        containerID: input.containerID,
        ifname: input.ifname,
        interfaceName: nic.interfaceName,
        podInterface: nic.podInterface,
        podName: input.pod.name,
        podNamespace: input.pod.namespace,
        podUID: input.pod.uid,
        createdAt: now,
      };
    });
    for (const [i, r] of records.entries()) {
      taken[i]?.pool.byAddress.set(r.address, r);
      this.#index(r);
      this.#journalPut(r);
    }
    return ok({ records, created: true });
  }

  /**
   * The holder of `ip` in another pool on the same NIC whose block overlaps this one, if any. The controller refuses
   * networks whose pod ranges overlap on a shared NIC network; this is the agent's own check, in case two such pools
   * reach it anyway (an older controller, a hand-made IPPool), so one L2 domain never sees an address twice.
   */
  #heldElsewhere(pool: Pool, ip: IpAddress): AllocationRecord | undefined {
    const text = formatAddress(ip);
    for (const other of this.#pools.values()) {
      if (
        other === pool ||
        other.spec.interfaceName !== pool.spec.interfaceName ||
        !prefixesOverlap(other.block, pool.block)
      )
        continue;
      const holder = other.byAddress.get(text);
      if (holder !== undefined) return holder;
    }
    return undefined;
  }

  /** The next free address of the pool that no overlapping pool on the same NIC holds. */
  #allocateFree(pool: Pool): Result<IpAddress, string> {
    const skipped: IpAddress[] = [];
    try {
      for (;;) {
        const got = pool.allocator.allocate();
        if (!got.ok || this.#heldElsewhere(pool, got.value) === undefined) return got;
        skipped.push(got.value);
      }
    } finally {
      for (const ip of skipped) pool.allocator.release(ip);
    }
  }

  #allocateWanted(pool: Pool, ip: IpAddress): Result<IpAddress, string> {
    const holder = this.#heldElsewhere(pool, ip);
    if (holder !== undefined) {
      return {
        ok: false,
        code: 'HELD_ON_NIC',
        error: `${formatAddress(ip)} is held on NIC ${pool.spec.interfaceName} by pod ${holder.podNamespace}/${holder.podName} of network ${holder.network} (IPPool ${holder.pool})`,
      };
    }
    return pool.allocator.allocateSpecific(ip);
  }

  /** Per requested NIC, its pool of each family of the network (IPv4 first); NOT_READY when one is missing. */
  #poolsFor(input: AllocateInput): StoreOutcome<Pool[][]> {
    const pools: Pool[][] = [];
    const families = this.families(input.network, input.families);
    for (const [i, nic] of input.nics.entries()) {
      const names = this.#byNic.get(`${input.network}\u0000${nic.interfaceName}`) ?? [];
      const found = names.flatMap((name) => this.#pools.get(name) ?? []);
      if (found.length > 0 && found.length < families.length) {
        const has = found.map((p) => `IPv${p.block.family} ${p.spec.name}`).join(', ');
        const missing = families.filter((f) => !found.some((p) => p.block.family === f)).map((f) => `IPv${f}`);
        return refuse(
          'NOT_READY',
          `nics[${i}].interfaceName`,
          `network ${input.network} is dual-stack on this node but NIC ${nic.interfaceName} has no ${missing.join(', ')} IPPool (it has ${has}); the controller may not have planned that family for it yet: try again, or check the MultiNicNetwork's status`,
        );
      }
      const pool = found[0];
      if (pool === undefined) {
        const known = [...this.#pools.values()]
          .filter((p) => p.spec.network === input.network)
          .map((p) => p.spec.interfaceName);
        return refuse(
          'NOT_READY',
          `nics[${i}].interfaceName`,
          `no IPPool of network ${input.network} for NIC ${nic.interfaceName} on this node (pools exist for: ${known.join(', ') || 'none'}); the controller may not have planned it yet: try again, or check the MultiNicNetwork's status`,
        );
      }
      pools.push(found);
    }
    return ok(pools);
  }

  /** The first requested NIC another attachment holds an address on, as a refusal (whole-NIC delegates). */
  #nicInUse(input: AllocateInput): AllocateFailure | undefined {
    const key = attachmentKey(input.network, input.containerID, input.ifname);
    for (const [i, nic] of input.nics.entries()) {
      const holder = this.holdersOf(nic.interfaceName).find((r) => keyOf(r) !== key);
      if (holder === undefined) continue;
      return refuse(
        'NIC_IN_USE',
        `nics[${i}].interfaceName`,
        `NIC ${nic.interfaceName} is in use by pod ${holder.podNamespace}/${holder.podName} (network ${holder.network}), and network ${input.network}'s delegate takes the whole NIC; nothing was allocated: try again (the next select picks a free NIC) or free the NIC`,
      );
    }
    return undefined;
  }

  /** Every record on one of this node's NICs, whatever the network (the NIC's holders). */
  holdersOf(interfaceName: string): AllocationRecord[] {
    const out: AllocationRecord[] = [];
    for (const pool of this.#pools.values())
      if (pool.spec.interfaceName === interfaceName) out.push(...pool.byAddress.values());
    return out;
  }

  /** The records of every NIC that has at least one, by interface name. */
  heldNics(): Map<string, AllocationRecord[]> {
    const out = new Map<string, AllocationRecord[]>();
    for (const pool of this.#pools.values()) {
      if (pool.byAddress.size === 0) continue;
      const list = out.get(pool.spec.interfaceName) ?? [];
      list.push(...pool.byAddress.values());
      out.set(pool.spec.interfaceName, list);
    }
    return out;
  }

  /** Releases an attachment; idempotent (nothing held → nothing released). */
  release(network: string, containerID: string, ifname: string): AllocationRecord[] {
    const records = [...(this.attachment(network, containerID, ifname) ?? [])];
    for (const r of records) this.#releaseRecord(r);
    return records;
  }

  #releaseRecord(r: AllocationRecord): void {
    const pool = this.#pools.get(r.pool);
    const ip = parseAddress(r.address);
    if (pool !== undefined && pool.byAddress.get(r.address) === r) {
      pool.byAddress.delete(r.address);
      if (ip.ok) pool.allocator.release(ip.value);
      this.#journalDel(r);
    }
    this.#unindex(r);
  }

  /** Releases every record for which `predicate` holds. */
  releaseWhere(predicate: (r: AllocationRecord) => boolean): AllocationRecord[] {
    const records = this.records().filter(predicate);
    for (const r of records) this.#releaseRecord(r);
    return records;
  }

  /** CNI GC: every attachment of `network` that is not in `valid` is released. */
  gc(
    network: string,
    valid: readonly { containerID: string; ifname: string }[],
  ): { released: AllocationRecord[]; kept: number } {
    const keep = new Set(valid.map((v) => attachmentKey(network, v.containerID, v.ifname)));
    const released = this.releaseWhere((r) => r.network === network && !keep.has(keyOf(r)));
    const kept = this.records().filter((r) => r.network === network).length;
    return { released, kept };
  }

  /**
   * Puts known records back (from the checkpoint or an IPPool's status). A record whose pool is unknown, whose
   * address does not fit, or whose address is already held by someone else is not restored and is reported.
   */
  restore(records: readonly AllocationRecord[]): {
    restored: number;
    rejected: { record: AllocationRecord; reason: string }[];
  } {
    let restored = 0;
    const rejected: { record: AllocationRecord; reason: string }[] = [];
    for (const record of records) {
      const reason = this.#restoreOne(record);
      if (reason === undefined) restored += 1;
      else rejected.push({ record, reason });
    }
    return { restored, rejected };
  }

  #restoreOne(record: AllocationRecord): string | undefined {
    const pool = this.#pools.get(record.pool);
    if (pool === undefined) return `IPPool ${record.pool} is not one of this node's pools`;
    const holder = pool.byAddress.get(record.address);
    if (holder !== undefined)
      return keyOf(holder) === keyOf(record) ? 'already known' : `held by container ${holder.containerID}`;
    const ip = parseAddress(record.address);
    if (!ip.ok) return ip.error;
    if (!prefixContainsAddress(pool.block, ip.value)) return `outside pod block ${pool.spec.podCIDR}`;
    // Force: an address that is now excluded stays held until released.
    const got = pool.allocator.allocateSpecific(ip.value);
    if (!got.ok && got.code !== 'RESERVED') return got.error;
    pool.byAddress.set(record.address, record);
    this.#index(record);
    this.#journalPut(record);
    return undefined;
  }

  /** Allocated count per pool (for metrics). */
  counts(): Map<string, number> {
    return new Map([...this.#pools.entries()].map(([name, p]) => [name, p.byAddress.size]));
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A repeated ADD: the same NICs get the same addresses; anything else is a conflict to resolve with DEL. */
function repeated(input: AllocateInput, existing: readonly AllocationRecord[]): StoreOutcome<AllocateOutcome> {
  const holder = existing.find((x) => x.podUID !== input.pod.uid);
  if (holder !== undefined) {
    // The attachment is keyed by (network, container, ifname), but it is bound to its pod: another pod reusing the
    // container ID gets nothing of it.
    return refuse(
      'CONFLICT',
      'pod.uid',
      `container ${input.containerID} ${input.ifname} belongs to pod ${holder.podNamespace}/${holder.podName} (uid ${holder.podUID}), not to ${input.pod.namespace}/${input.pod.name} (uid ${input.pod.uid}); a container ID is one pod's: release the other attachment (CNI DEL) first`,
    );
  }
  const records: AllocationRecord[] = [];
  const heldNics = new Set(existing.map((x) => x.interfaceName));
  for (const [i, nic] of input.nics.entries()) {
    const mine = byFamily(existing.filter((x) => x.interfaceName === nic.interfaceName));
    if (mine.length === 0 || heldNics.size !== input.nics.length) {
      const held = existing.map((x) => `${x.interfaceName}=${x.address}`).join(', ');
      return refuse(
        'CONFLICT',
        `nics[${i}].interfaceName`,
        `container ${input.containerID} ${input.ifname} already holds addresses on other NICs (${held}); release it (CNI DEL) before adding it with a different set of NICs`,
      );
    }
    for (const r of mine)
      records.push(r.podInterface === nic.podInterface ? r : { ...r, podInterface: nic.podInterface });
  }
  for (const [k, ip] of (input.ips ?? []).entries()) {
    const canonical = parseAddress(ip.split('/')[0] ?? '');
    if (!canonical.ok || !records.some((r) => r.address === formatAddress(canonical.value))) {
      return refuse(
        'ADDRESS_MISMATCH',
        `ips[${k}]`,
        `container ${input.containerID} ${input.ifname} already holds ${records.map((r) => r.address).join(', ')}, not the requested ${ip}; release it first`,
      );
    }
  }
  return ok({ records, created: false });
}

/**
 * Requested address per (NIC, family) slot: each requested address must fall in exactly one selected NIC's pod block
 * of its family, and one slot takes one address.
 */
function assignRequested(
  input: AllocateInput,
  slots: readonly { readonly nic: number; readonly pool: Pool }[],
): StoreOutcome<({ ip: IpAddress; k: number } | undefined)[]> {
  const pools = slots.map((s) => s.pool);
  const out: ({ ip: IpAddress; k: number } | undefined)[] = pools.map(() => undefined);
  for (const [k, text] of (input.ips ?? []).entries()) {
    const ip = parseAddress(text.split('/')[0] ?? '');
    if (!ip.ok) {
      return refuse('INVALID_ADDRESS', `ips[${k}]`, `${JSON.stringify(text)} is not an IP address: ${ip.error}`);
    }
    const index = pools.findIndex((p) => prefixContainsAddress(p.block, ip.value));
    if (index < 0) {
      const blocks = pools.map((p) => `${p.spec.interfaceName} ${p.spec.podCIDR}`).join(', ');
      return refuse(
        'OUT_OF_BLOCK',
        `ips[${k}]`,
        `requested address ${text} is in none of the selected NICs' pod blocks on this node (${blocks}); request an address of one of them or let the agent choose`,
      );
    }
    const already = out[index];
    if (already !== undefined) {
      return refuse(
        'ONE_ADDRESS_PER_NIC',
        `ips[${k}]`,
        `requested addresses ${formatAddress(already.ip)} and ${text} both fall in the pod block of NIC ${pools[index]?.spec.interfaceName}: one address per NIC`,
      );
    }
    out[index] = { ip: ip.value, k };
  }
  return ok(out);
}

function allocationFailure(options: {
  input: AllocateInput;
  index: number;
  requestedIndex: number | undefined;
  error: string;
  pool: Pool;
  dualStack: boolean;
}): AllocateFailure {
  const { input, index, requestedIndex, error, pool, dualStack } = options;
  const name = input.nics[index]?.interfaceName ?? '?';
  const nic = dualStack ? `${name} (IPv${pool.block.family} IPPool ${pool.spec.name})` : name;
  if (requestedIndex !== undefined) {
    return refuse(
      'ADDRESS_UNAVAILABLE',
      `ips[${requestedIndex}]`,
      `requested address cannot be given on NIC ${nic}: ${error}; nothing was allocated`,
    );
  }
  return refuse(
    'EXHAUSTED',
    `nics[${index}].interfaceName`,
    `no free address on NIC ${nic}: ${error}; nothing was allocated (release unused pods or widen the network's hostBlock)`,
  );
}

/** The address families in the order a NIC's addresses are given and answered: IPv4 first. */
const FAMILIES: readonly Family[] = [4, 6];

function familyOfRecord(r: Pick<AllocationRecord, 'address'>): Family {
  return r.address.includes(':') ? 6 : 4;
}

/** One NIC's records, IPv4 first (a single-family NIC has one). */
function byFamily(records: readonly AllocationRecord[]): AllocationRecord[] {
  return [...records].sort((a, b) => familyOfRecord(a) - familyOfRecord(b));
}

/** An attachment's addresses on one NIC: the first family's, and the other family's on a dual-stack network. */
export interface NicRecords {
  readonly first: AllocationRecord;
  readonly other?: AllocationRecord | undefined;
}

/**
 * An attachment's records grouped per NIC, in the order the NICs first appear, each NIC's record of the network's
 * first family first (ADR 0006: `Allocation.address` is the first family's, `otherFamily` the second's; the first
 * family is that of `spec.subnets[0]`, IPv4 when the network does not say).
 */
export function recordsByNic(records: readonly AllocationRecord[], firstFamily: Family = 4): NicRecords[] {
  const groups = new Map<string, AllocationRecord[]>();
  for (const r of records) groups.set(r.interfaceName, [...(groups.get(r.interfaceName) ?? []), r]);
  const out: NicRecords[] = [];
  for (const list of groups.values()) {
    const sorted = byFamily(list);
    const [first, other] = firstFamily === 6 ? sorted.reverse() : sorted;
    if (first !== undefined) out.push({ first, ...(other === undefined ? {} : { other }) });
  }
  return out;
}
