// A set of bigint values kept as sorted, disjoint, non-adjacent inclusive intervals.
// Every operation costs O(log k) to find plus O(k) to splice, k = number of intervals:
// never proportional to the number of values, so a /8 or a /64 costs the same as a /24.

export class IntervalSet {
  readonly #lo: bigint[] = [];
  readonly #hi: bigint[] = [];

  /** Number of intervals (not values). */
  get intervalCount(): number {
    return this.#lo.length;
  }

  /** Number of values in the set. */
  size(): bigint {
    let total = 0n;
    for (let i = 0; i < this.#lo.length; i++) total += (this.#hi[i] as bigint) - (this.#lo[i] as bigint) + 1n;
    return total;
  }

  /** Smallest i with hi[i] >= x (intervals.length when none). */
  #firstEndingAtOrAfter(x: bigint): number {
    let low = 0;
    let high = this.#hi.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.#hi[mid] as bigint) < x) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Largest i with lo[i] <= x (-1 when none). */
  #lastStartingAtOrBefore(x: bigint): number {
    let low = 0;
    let high = this.#lo.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.#lo[mid] as bigint) <= x) low = mid + 1;
      else high = mid;
    }
    return low - 1;
  }

  has(x: bigint): boolean {
    const i = this.#firstEndingAtOrAfter(x);
    return i < this.#lo.length && (this.#lo[i] as bigint) <= x;
  }

  /** True when any value of lo..hi is in the set. */
  intersects(lo: bigint, hi: bigint): boolean {
    const i = this.#firstEndingAtOrAfter(lo);
    return i < this.#lo.length && (this.#lo[i] as bigint) <= hi;
  }

  /** The smallest value >= x that is NOT in the set. */
  nextGap(x: bigint): bigint {
    const i = this.#firstEndingAtOrAfter(x);
    if (i < this.#lo.length && (this.#lo[i] as bigint) <= x) return (this.#hi[i] as bigint) + 1n;
    return x;
  }

  /** Adds lo..hi (inclusive), merging with overlapping and adjacent intervals. */
  add(lo: bigint, hi: bigint): void {
    const i = this.#firstEndingAtOrAfter(lo - 1n);
    const j = this.#lastStartingAtOrBefore(hi + 1n);
    if (i > j) {
      this.#lo.splice(i, 0, lo);
      this.#hi.splice(i, 0, hi);
      return;
    }
    const newLo = (this.#lo[i] as bigint) < lo ? (this.#lo[i] as bigint) : lo;
    const newHi = (this.#hi[j] as bigint) > hi ? (this.#hi[j] as bigint) : hi;
    this.#lo.splice(i, j - i + 1, newLo);
    this.#hi.splice(i, j - i + 1, newHi);
  }

  /** Removes lo..hi (inclusive), splitting intervals as needed. */
  delete(lo: bigint, hi: bigint): void {
    const i = this.#firstEndingAtOrAfter(lo);
    const j = this.#lastStartingAtOrBefore(hi);
    if (i > j) return;
    const los: bigint[] = [];
    const his: bigint[] = [];
    const left = this.#lo[i] as bigint;
    const right = this.#hi[j] as bigint;
    if (left < lo) {
      los.push(left);
      his.push(lo - 1n);
    }
    if (right > hi) {
      los.push(hi + 1n);
      his.push(right);
    }
    this.#lo.splice(i, j - i + 1, ...los);
    this.#hi.splice(i, j - i + 1, ...his);
  }

  /** The intervals in ascending order, as [lo, hi] pairs. */
  *intervals(): Generator<readonly [bigint, bigint]> {
    for (let i = 0; i < this.#lo.length; i++) yield [this.#lo[i] as bigint, this.#hi[i] as bigint];
  }
}
