// Address allocator for one pod block, on interval sets: cost depends on the number of allocated and
// reserved ranges, never on the size of the block, so a /8 or a /64 works without expanding anything.
import { formatAddress, formatPrefix, parsePrefix } from './address.js';
import type { IpAddress, IpPrefix } from './address.js';
import { IntervalSet } from './intervals.js';
import { prefixFirst, prefixLast } from './prefix.js';
import type { AddressRange } from './prefix.js';
import type { AllocateSpecificErrorCode, AllocatorErrorCode, ParseErrorCode } from './codes.js';
import { err, ok } from './result.js';
import type { Result } from './result.js';

export interface RangeAllocatorOptions {
  /** The pod block addresses are handed out from. */
  readonly block: IpPrefix;
  /** Prefixes or ranges that are never handed out (e.g. an IPPool's `excludes`). */
  readonly excludes?: readonly (IpPrefix | AddressRange)[];
  /** The address handed out last (to resume "next after the last" after a restart). */
  readonly lastAllocated?: IpAddress;
}

function isPrefix(value: IpPrefix | AddressRange): value is IpPrefix {
  return 'base' in value;
}

/**
 * Hands out addresses of one block: `allocate()` returns the next free address after the one handed
 * out last, wrapping around to the lowest free one. Never returns the network address, the broadcast
 * address of an IPv4 block, or an excluded or reserved address; never returns an address twice before
 * it is released.
 */
export class RangeAllocator {
  readonly block: IpPrefix;
  readonly #first: bigint;
  readonly #last: bigint;
  readonly #allocated = new IntervalSet();
  readonly #unavailable = new IntervalSet();
  #cursor: bigint | undefined;

  constructor(options: RangeAllocatorOptions) {
    this.block = options.block;
    const first = prefixFirst(options.block).value;
    const last = prefixLast(options.block).value;
    this.#first = first + 1n;
    this.#last = options.block.family === 4 ? last - 1n : last;
    for (const exclude of options.excludes ?? []) this.reserve(exclude);
    if (options.lastAllocated !== undefined && this.#inBlock(options.lastAllocated)) {
      this.#cursor = options.lastAllocated.value;
    }
  }

  /** Builds an allocator from an IPPool-like object: `{ podCIDR, excludes }` as canonical CIDR strings. */
  static fromPool(pool: {
    readonly podCIDR: string;
    readonly excludes?: readonly string[];
  }): Result<RangeAllocator, ParseErrorCode> {
    const block = parsePrefix(pool.podCIDR);
    if (!block.ok) return err(block.code, `podCIDR: ${block.error}`);
    const excludes: IpPrefix[] = [];
    for (const [i, text] of (pool.excludes ?? []).entries()) {
      const exclude = parsePrefix(text);
      if (!exclude.ok) return err(exclude.code, `excludes[${i}]: ${exclude.error}`);
      excludes.push(exclude.value);
    }
    return ok(new RangeAllocator({ block: block.value, excludes }));
  }

  #inBlock(address: IpAddress): boolean {
    return (
      address.family === this.block.family &&
      address.value >= this.block.base &&
      address.value <= prefixLast(this.block).value
    );
  }

  /** The lowest address >= x that is neither allocated nor unavailable, or undefined past the end. */
  #nextFree(from: bigint): bigint | undefined {
    let x = from;
    for (;;) {
      if (x > this.#last) return undefined;
      const afterAllocated = this.#allocated.nextGap(x);
      const free = this.#unavailable.nextGap(afterAllocated);
      if (free === afterAllocated && free === x) return x;
      x = free;
    }
  }

  /** Hands out the next free address after the last one handed out, wrapping to the lowest free one. */
  allocate(): Result<IpAddress, Extract<AllocatorErrorCode, 'EXHAUSTED'>> {
    const start = this.#cursor === undefined || this.#cursor >= this.#last ? this.#first : this.#cursor + 1n;
    const value = this.#nextFree(start) ?? (start > this.#first ? this.#nextFree(this.#first) : undefined);
    if (value === undefined) {
      return err(
        'EXHAUSTED',
        `pool ${formatPrefix(this.block)} is exhausted: every usable address is allocated or reserved`,
      );
    }
    this.#allocated.add(value, value);
    this.#cursor = value;
    return ok({ family: this.block.family, value });
  }

  /** Why an address cannot be handed out, or undefined when it can. */
  #refusal(address: IpAddress): { ok: false; error: string; code: AllocateSpecificErrorCode } | undefined {
    const text = formatAddress(address);
    const block = formatPrefix(this.block);
    if (!this.#inBlock(address)) return err('OUT_OF_BLOCK', `${text} is not in pool ${block}`);
    if (address.value === this.block.base)
      return err('NETWORK_ADDRESS', `${text} is the network address of ${block} and is never handed out`);
    if (address.value > this.#last)
      return err('BROADCAST_ADDRESS', `${text} is the broadcast address of ${block} and is never handed out`);
    if (this.#unavailable.has(address.value))
      return err('RESERVED', `${text} is excluded or reserved in pool ${block}`);
    if (this.#allocated.has(address.value))
      return err('ALREADY_ALLOCATED', `${text} is already allocated in pool ${block}`);
    return undefined;
  }

  /** Hands out one requested address (does not move the "last handed out" cursor). */
  allocateSpecific(address: IpAddress): Result<IpAddress, AllocateSpecificErrorCode> {
    const refusal = this.#refusal(address);
    if (refusal !== undefined) return refusal;
    this.#allocated.add(address.value, address.value);
    return ok({ family: address.family, value: address.value });
  }

  /** Returns an address to the pool; false when it was not allocated. */
  release(address: IpAddress): boolean {
    if (address.family !== this.block.family || !this.#allocated.has(address.value)) return false;
    this.#allocated.delete(address.value, address.value);
    return true;
  }

  /**
   * Marks a prefix or range as never to be handed out (clipped to the block). Addresses already
   * allocated inside it stay allocated until released. Returns the range actually reserved.
   */
  reserve(
    range: IpPrefix | AddressRange,
  ): Result<AddressRange, Extract<AllocatorErrorCode, 'FAMILY_MISMATCH' | 'NO_OVERLAP'>> {
    const first = isPrefix(range) ? prefixFirst(range) : range.first;
    const last = isPrefix(range) ? prefixLast(range) : range.last;
    if (first.family !== this.block.family || last.family !== this.block.family) {
      return err(
        'FAMILY_MISMATCH',
        `cannot reserve an IPv${first.family} range in IPv${this.block.family} pool ${formatPrefix(this.block)}`,
      );
    }
    const lo = first.value > this.block.base ? first.value : this.block.base;
    const blockLast = prefixLast(this.block).value;
    const hi = last.value < blockLast ? last.value : blockLast;
    if (lo > hi) {
      return err(
        'NO_OVERLAP',
        `${formatAddress(first)}-${formatAddress(last)} does not overlap pool ${formatPrefix(this.block)}`,
      );
    }
    this.#unavailable.add(lo, hi);
    const family = this.block.family;
    return ok({ first: { family, value: lo }, last: { family, value: hi } });
  }

  /** True when the address is currently allocated. */
  isAllocated(address: IpAddress): boolean {
    return address.family === this.block.family && this.#allocated.has(address.value);
  }

  /** Number of addresses currently allocated. */
  get allocatedCount(): bigint {
    return this.#allocated.size();
  }

  /** Number of addresses `allocate()` can still hand out (exact: a /48 pool has 2^80 - 1 usable addresses). */
  get freeCount(): bigint {
    if (this.#last < this.#first) return 0n;
    const taken = [...this.#allocated.intervals(), ...this.#unavailable.intervals()].sort((a, b) =>
      a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
    );
    let free = this.#last - this.#first + 1n;
    let next = this.#first; // lowest address not yet counted as taken
    for (const [lo, hi] of taken) {
      const from = lo > next ? lo : next;
      const to = hi < this.#last ? hi : this.#last;
      if (from > to) continue;
      free -= to - from + 1n;
      next = to + 1n;
    }
    return free;
  }

  /** The address handed out last by `allocate()`, if any. */
  get lastAllocated(): IpAddress | undefined {
    return this.#cursor === undefined ? undefined : { family: this.block.family, value: this.#cursor };
  }

  /** Allocated addresses in ascending order. */
  *allocations(): Generator<IpAddress> {
    for (const [lo, hi] of this.#allocated.intervals()) {
      for (let value = lo; value <= hi; value++) yield { family: this.block.family, value };
    }
  }

  /** Allocated addresses as ascending inclusive ranges. */
  *allocatedRanges(): Generator<AddressRange> {
    const family = this.block.family;
    for (const [lo, hi] of this.#allocated.intervals())
      yield { first: { family, value: lo }, last: { family, value: hi } };
  }
}
