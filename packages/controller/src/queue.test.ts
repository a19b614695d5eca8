import { describe, expect, it } from '@jest/globals';
import { Backoff } from '@multinic/kube';
import { WorkQueue } from './queue.js';
import { ManualClock } from './testing.js';

function makeQueue(options: { baseMs?: number; maxMs?: number } = {}) {
  const clock = new ManualClock(1_000_000);
  const depths: number[] = [];
  const retries: number[] = [];
  const queue = new WorkQueue<string>({
    clock,
    backoff: new Backoff({ baseMs: options.baseMs ?? 100, maxMs: options.maxMs ?? 1_000 }),
    onDepth: (d) => depths.push(d),
    onRetry: (_key, delay) => retries.push(delay),
  });
  return { clock, queue, depths, retries };
}

/** Drains what is queued right now (get() resolves synchronously-queued keys without waiting). */
async function drain(queue: WorkQueue<string>): Promise<string[]> {
  const keys: string[] = [];
  while (queue.depth > 0) {
    const key = await queue.get();
    if (key === undefined) break;
    keys.push(key);
    queue.done(key);
  }
  return keys;
}

describe('WorkQueue', () => {
  it('queues a key once however often it is added, in first-added order', async () => {
    const { queue } = makeQueue();
    for (const key of ['a', 'b', 'a', 'c', 'b', 'a']) queue.add(key);
    expect(queue.depth).toBe(3);
    expect(await drain(queue)).toEqual(['a', 'b', 'c']);
  });

  it('re-queues a key added while it is processed, only after done()', async () => {
    const { queue } = makeQueue();
    queue.add('a');
    const key = await queue.get();
    expect(key).toBe('a');
    queue.add('a');
    queue.add('a');
    expect(queue.depth).toBe(0);
    expect(queue.processing).toBe(1);
    queue.done('a');
    expect(queue.depth).toBe(1);
    expect(await drain(queue)).toEqual(['a']);
  });

  it('does not hand the same key to two workers at once', async () => {
    const { queue } = makeQueue();
    queue.add('a');
    const first = await queue.get();
    queue.add('a');
    let second: string | undefined = 'not yet';
    const waiting = queue.get().then((k) => (second = k));
    await Promise.resolve();
    expect(second).toBe('not yet');
    queue.done(first as string);
    await waiting;
    expect(second).toBe('a');
  });

  it('a waiting get() resolves when a key arrives', async () => {
    const { queue } = makeQueue();
    const next = queue.get();
    queue.add('x');
    expect(await next).toBe('x');
  });

  it('addAfter() waits for the clock, and an earlier pending add wins', async () => {
    const { clock, queue } = makeQueue();
    queue.addAfter('a', 500);
    queue.addAfter('a', 900);
    clock.advance(499);
    expect(queue.depth).toBe(0);
    clock.advance(1);
    expect(queue.depth).toBe(1);
    clock.advance(1_000);
    expect(await drain(queue)).toEqual(['a']);
    expect(clock.pending).toBe(0);
  });

  it('a later addAfter() is replaced by an earlier one', () => {
    const { clock, queue } = makeQueue();
    queue.addAfter('a', 900);
    queue.addAfter('a', 100);
    clock.advance(100);
    expect(queue.depth).toBe(1);
    expect(clock.pending).toBe(0);
  });

  it('retries back off exponentially up to the cap, and forget() starts over', () => {
    const { clock, queue, retries } = makeQueue({ baseMs: 100, maxMs: 1_000 });
    for (let i = 0; i < 6; i++) {
      queue.addRateLimited('a');
      clock.advance(10_000);
    }
    expect(retries).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(queue.retries('a')).toBe(6);
    queue.forget('a');
    expect(queue.retries('a')).toBe(0);
    queue.addRateLimited('a');
    expect(retries.at(-1)).toBe(100);
  });

  it('shutDown() ends waiting workers and drops pending work', async () => {
    const { clock, queue } = makeQueue();
    const waiting = queue.get();
    queue.addAfter('late', 100);
    queue.shutDown();
    expect(await waiting).toBeUndefined();
    clock.advance(1_000);
    queue.add('b');
    expect(queue.depth).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });

  it('reports the depth as it changes', async () => {
    const { queue, depths } = makeQueue();
    queue.add('a');
    queue.add('b');
    await drain(queue);
    expect(depths).toEqual([1, 2, 1, 0]);
  });
});
