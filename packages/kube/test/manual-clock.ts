// A clock whose timers fire only when the test says so: the informer's restart delays are read, never waited for.
import type { CancelTimer, Clock } from '../src/index.js';

export class ManualClock implements Clock {
  readonly #timers: { ms: number; fn: () => void }[] = [];

  now(): number {
    return 0;
  }

  setTimeout(fn: () => void, ms: number): CancelTimer {
    const timer = { ms, fn };
    this.#timers.push(timer);
    return () => {
      const i = this.#timers.indexOf(timer);
      if (i >= 0) this.#timers.splice(i, 1);
    };
  }

  /** Delays of the timers pending now. */
  pending(): number[] {
    return this.#timers.map((t) => t.ms);
  }

  /** Fires every pending timer. */
  fire(): void {
    for (const t of this.#timers.splice(0)) t.fn();
  }
}
