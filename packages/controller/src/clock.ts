// Time is injected (CONVENTIONS.md §1): the queue, the leader elector and host retention read it from here,
// so unit tests drive them with a manual clock and never wait on the wall clock.

// The Clock is @multinic/kube's (its informers schedule their restarts with it too).
export { systemClock, type CancelTimer, type Clock } from '@multinic/kube';

/** RFC 3339 with second precision (the format of `metav1.Time`). */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 3339 with microsecond precision (the format of `metav1.MicroTime`, used by Leases). */
export function rfc3339Micro(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}
