// Time is injected (CONVENTIONS.md §1): the queue, the leader elector and host retention read it from here,
// so unit tests drive them with a manual clock and never wait on the wall clock.

/** Cancels a timer set with `Clock.setTimeout`; calling it twice is harmless. */
export type CancelTimer = () => void;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): CancelTimer;
}

/** The process clock. Timers are unref'd: a pending retry never keeps the process alive on its own. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, Math.max(0, ms));
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** RFC 3339 with second precision (the format of `metav1.Time`). */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 3339 with microsecond precision (the format of `metav1.MicroTime`, used by Leases). */
export function rfc3339Micro(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}
