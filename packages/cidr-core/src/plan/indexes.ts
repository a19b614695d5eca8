// Index assignment for one kind of slot (interface slots of the subnet, or host slots of a vlan block).

/** Sorted, merged, inclusive ranges of numbers. */
export type NumberRanges = readonly (readonly [number, number])[];

export function mergeRanges(ranges: readonly (readonly [number, number])[]): NumberRanges {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else merged.push([lo, hi]);
  }
  return merged;
}

/** The smallest value >= x outside the ranges. */
export function skipRanges(ranges: NumberRanges, x: number): number {
  let low = 0;
  let high = ranges.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((ranges[mid] as readonly [number, number])[1] < x) low = mid + 1;
    else high = mid;
  }
  const range = ranges[low];
  return range !== undefined && range[0] <= x ? range[1] + 1 : x;
}

/** A set of indexes: a bitmap while the capacity is small enough, a Set beyond that. */
export class IndexSet {
  readonly #bits: Uint32Array | undefined;
  readonly #set: Set<number> | undefined;

  constructor(capacity: number) {
    if (capacity <= 2 ** 22) this.#bits = new Uint32Array(Math.ceil(capacity / 32));
    else this.#set = new Set();
  }

  has(index: number): boolean {
    if (this.#bits === undefined) return (this.#set as Set<number>).has(index);
    return ((this.#bits[index >>> 5] ?? 0) & (1 << (index & 31))) !== 0;
  }

  add(index: number): void {
    if (this.#bits === undefined) (this.#set as Set<number>).add(index);
    else this.#bits[index >>> 5] = (this.#bits[index >>> 5] ?? 0) | (1 << (index & 31));
  }

  /** Removes an index; true when it was present. */
  delete(index: number): boolean {
    if (this.#bits === undefined) return (this.#set as Set<number>).delete(index);
    const present = this.has(index);
    this.#bits[index >>> 5] = (this.#bits[index >>> 5] ?? 0) & ~(1 << (index & 31));
    return present;
  }
}

export interface IndexCheckpoint {
  readonly highWater: number;
  readonly cursor: number;
}

/**
 * Hands out indexes 0..capacity-1 except blocked ones. `take()` gives the lowest never-used index
 * (>= highWater); only when none is left does it reuse the lowest freed one.
 */
export class IndexPool {
  readonly capacity: number;
  readonly blocked: NumberRanges;
  readonly used: IndexSet;
  highWater: number;
  #cursor = 0;

  constructor(options: { capacity: number; blocked: NumberRanges; highWater: number }) {
    this.capacity = options.capacity;
    this.used = new IndexSet(options.capacity);
    this.blocked = options.blocked;
    this.highWater = options.highWater;
  }

  isBlocked(index: number): boolean {
    return skipRanges(this.blocked, index) !== index;
  }

  /** Keeps an index assigned earlier; false when it is out of range, blocked or already taken. */
  claim(index: number): boolean {
    if (
      !Number.isInteger(index) ||
      index < 0 ||
      index >= this.capacity ||
      this.used.has(index) ||
      this.isBlocked(index)
    ) {
      return false;
    }
    this.used.add(index);
    if (index >= this.highWater) this.highWater = index + 1;
    return true;
  }

  /** The lowest free index, ignoring the never-used rule (interface indexes). */
  takeLowest(): number | undefined {
    let x = skipRanges(this.blocked, 0);
    while (x < this.capacity && this.used.has(x)) x = skipRanges(this.blocked, x + 1);
    if (x >= this.capacity) return undefined;
    this.used.add(x);
    if (x >= this.highWater) this.highWater = x + 1;
    return x;
  }

  /** The lowest never-used index, else the lowest freed one, else undefined. */
  take(): number | undefined {
    const fresh = skipRanges(this.blocked, this.highWater);
    if (fresh < this.capacity) {
      this.highWater = fresh + 1;
      this.used.add(fresh);
      return fresh;
    }
    const limit = Math.min(this.highWater, this.capacity);
    let x = skipRanges(this.blocked, this.#cursor);
    while (x < limit && this.used.has(x)) x = skipRanges(this.blocked, x + 1);
    this.#cursor = x;
    if (x >= limit) return undefined;
    this.used.add(x);
    return x;
  }

  free(index: number): void {
    if (this.used.delete(index) && index < this.#cursor) this.#cursor = index;
  }

  checkpoint(): IndexCheckpoint {
    return { highWater: this.highWater, cursor: this.#cursor };
  }

  /** Undoes `take()`s made since the checkpoint. */
  rollback(checkpoint: IndexCheckpoint, taken: readonly number[]): void {
    for (const index of taken) this.used.delete(index);
    this.highWater = checkpoint.highWater;
    this.#cursor = checkpoint.cursor;
  }
}
