import { describe, expect, it } from '@jest/globals';
import { MIRROR_MAX_DELAY_MS, nextFlushDelay } from './mirror.js';

describe('nextFlushDelay', () => {
  it('is the batch interval while flushes are quick', () => {
    expect(nextFlushDelay({ batchMs: 1000, backoffMs: 0, lastFlushMs: 30 })).toBe(1000);
  });

  it('waits nine times a slow flush, so status writes stay under a tenth of the time', () => {
    expect(nextFlushDelay({ batchMs: 1000, backoffMs: 0, lastFlushMs: 250 })).toBe(2250);
  });

  it('never waits longer than the cap, and a failure backoff wins', () => {
    expect(nextFlushDelay({ batchMs: 1000, backoffMs: 0, lastFlushMs: 60_000 })).toBe(MIRROR_MAX_DELAY_MS);
    expect(nextFlushDelay({ batchMs: 1000, backoffMs: 400, lastFlushMs: 250 })).toBe(400);
  });
});

describe('nextFlushDelay for a repair', () => {
  it('a repair of a foreign write waits only the batch interval, not the pacing after a slow flush', () => {
    expect(nextFlushDelay({ batchMs: 1000, backoffMs: 0, lastFlushMs: 2_000, urgent: true })).toBe(1000);
    expect(nextFlushDelay({ batchMs: 1000, backoffMs: 0, lastFlushMs: 2_000 })).toBe(18_000);
  });

  it('but still backs off while the API server fails', () => {
    expect(nextFlushDelay({ batchMs: 1000, backoffMs: 3_200, lastFlushMs: 2_000, urgent: true })).toBe(3_200);
  });
});
