import { describe, expect, it } from '@jest/globals';
import { eventually, until } from './wait.js';

describe('eventually', () => {
  it('retries until fn stops throwing and returns its value', async () => {
    let calls = 0;
    const value = await eventually(() => {
      calls += 1;
      if (calls < 3) throw new Error(`not yet ${calls}`);
      return calls;
    });
    expect(value).toBe(3);
  });

  it('rethrows the last error once the time is up', async () => {
    let calls = 0;
    await expect(
      eventually(() => {
        calls += 1;
        throw new Error(`attempt ${calls}`);
      }, -1),
    ).rejects.toThrow('attempt 1');
  });
});

describe('until', () => {
  it('resolves once the predicate holds', async () => {
    let calls = 0;
    await until(() => ++calls >= 3, 'three calls');
    expect(calls).toBe(3);
  });

  it('rejects naming what it waited for once the time is up', async () => {
    await expect(until(() => false, 'the moon', -1)).rejects.toThrow('timed out waiting for the moon');
  });
});
