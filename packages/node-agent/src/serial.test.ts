import { describe, expect, it } from '@jest/globals';
import { Coalesced } from './serial.js';

describe('Coalesced', () => {
  it('runs one at a time; callers during a run share the next run, which starts after their call', async () => {
    const runs: number[] = [];
    let state = 0;
    let active = 0;
    const c = new Coalesced(async () => {
      active += 1;
      expect(active).toBe(1);
      runs.push(state);
      await new Promise((resolve) => setTimeout(resolve, 5));
      active -= 1;
    });
    const first = c.run();
    state = 1;
    expect(c.run()).toBe(first); // not started yet: shared
    await new Promise((resolve) => setImmediate(resolve));
    state = 2;
    const a = c.run(); // the first run is in progress: this waits for the next one
    state = 3;
    const b = c.run();
    expect(a).toBe(b);
    expect(a).not.toBe(first);
    await Promise.all([first, a, b]);
    expect(runs).toEqual([1, 3]);
  });

  it('a failed run rejects its callers only; the next run goes ahead', async () => {
    let fail = true;
    const c = new Coalesced(async () => {
      if (fail) throw new Error('disk full');
    });
    await expect(c.run()).rejects.toThrow('disk full');
    fail = false;
    await expect(c.run()).resolves.toBeUndefined();
  });
});
