import { createServer } from 'node:net';
import { expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { until } from '@multinic/testenv';
import { ManualClock } from '../test/manual-clock.js';
import { KubeClient } from './client.js';
import { Informer } from './informer.js';
import { RESOURCES } from './resources.js';

async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

it('doubles the restart delay per failure in a row up to the cap, and stops retrying on stop()', async () => {
  // A port nothing listens on: every list fails at once (connection refused → UNAVAILABLE).
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'dead', server: `http://127.0.0.1:${await deadPort()}`, skipTLSVerify: false }],
    users: [{ name: 'nobody', token: 'x' }],
    contexts: [{ name: 'dead', cluster: 'dead', user: 'nobody' }],
    currentContext: 'dead',
  });
  const client = new KubeClient(kc);
  const clock = new ManualClock();
  const warnings: unknown[] = [];
  const informer = new Informer({
    client,
    resource: RESOURCES.ippools,
    log: { warn: (obj) => warnings.push(obj) },
    clock,
    backoff: { baseMs: 100, maxMs: 700 },
  });
  informer.start();
  const delays: number[] = [];
  try {
    for (let i = 0; i < 6; i++) {
      await until(() => clock.pending().length === 1, `restart ${i + 1} to be scheduled`, 10_000);
      delays.push(...clock.pending());
      clock.fire();
    }
    expect(delays).toEqual([100, 200, 400, 700, 700, 700]);
    expect(informer.hasSynced).toBe(false);
    expect(informer.healthy).toBe(false);
    expect(warnings[0]).toMatchObject({ resource: 'ippools', retryInMs: 100 });
  } finally {
    await informer.stop();
    client.close();
  }
  expect(clock.pending()).toEqual([]);
});
