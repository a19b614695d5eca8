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
