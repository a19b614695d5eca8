// Capped exponential backoff per key: base, 2·base, 4·base, … up to max; forget() starts a key over.

export interface BackoffOptions {
  /** Delay after the first failure, ms. */
  readonly baseMs: number;
  /** Upper bound of the delay, ms. */
  readonly maxMs: number;
}

export class Backoff<K> {
  readonly #options: BackoffOptions;
  readonly #failures = new Map<K, number>();

  constructor(options: BackoffOptions) {
    if (!(options.baseMs > 0) || !(options.maxMs >= options.baseMs)) {
      throw new RangeError(`backoff needs 0 < baseMs <= maxMs, got baseMs ${options.baseMs}, maxMs ${options.maxMs}`);
    }
    this.#options = options;
  }

  /** Records one more failure of `key` and returns how long to wait before retrying it. */
  next(key: K): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    return this.delay(failures);
  }

  /** The delay after `failures` earlier failures (0 → base). */
  delay(failures: number): number {
    const { baseMs, maxMs } = this.#options;
    // 2^failures overflows to Infinity long after it passed max; Math.min keeps it finite.
    return Math.min(maxMs, baseMs * 2 ** Math.min(failures, 1024));
  }

  /** Failures recorded since the last forget(). */
  failures(key: K): number {
    return this.#failures.get(key) ?? 0;
  }

  forget(key: K): void {
    this.#failures.delete(key);
  }
}
