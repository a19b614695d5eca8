// The informer against a real API server: initial list with selectors, watch events, a watch the server ends,
// a relist after the API server was gone, and the capped backoff of its restarts (read from an injected clock).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually, startTestEnv, until, type TestEnv } from '@multinic/testenv';
import {
  Informer,
  KubeClient,
  collectionPath,
  objectPath,
  type InformerHandlers,
  type Resource,
} from '../src/index.js';
import { ManualClock } from './manual-clock.js';

const NS = 'informer-test';
const CONFIGMAPS: Resource = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };
const log = { warn: (): void => undefined };

interface ConfigMap {
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

let env: TestEnv | undefined;
let client: KubeClient;

beforeAll(async () => {
  env = await startTestEnv({ controllerManager: false });
  client = new KubeClient(env.kubeConfig);
  await client.request({
    method: 'POST',
    path: '/api/v1/namespaces',
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
  });
});

afterAll(async () => {
  client?.close();
  await env?.stop();
});

function configMap(name: string, labels: Record<string, string>, value = '1'): ConfigMap {
  return { metadata: { name, namespace: NS, labels }, data: { value } };
}

async function create(cm: ConfigMap): Promise<void> {
  await client.request({
    method: 'POST',
    path: collectionPath(CONFIGMAPS, NS),
    body: { apiVersion: 'v1', kind: 'ConfigMap', ...cm },
  });
}

function recorder(): { events: string[]; handlers: InformerHandlers<ConfigMap> } {
  const events: string[] = [];
  return {
    events,
    handlers: {
      onAdd: (o) => events.push(`add ${o.metadata.name}`),
      onUpdate: (o) => events.push(`update ${o.metadata.name}=${o.data?.['value'] ?? ''}`),
      onDelete: (o) => events.push(`delete ${o.metadata.name}`),
      onRelist: () => events.push('relist'),
    },
  };
}

describe('Informer', () => {
  it('lists what its label selector matches (in pages), then follows adds, updates and deletes of those only', async () => {
    await create(configMap('a1', { team: 'a' }));
    await create(configMap('a2', { team: 'a' }));
    await create(configMap('b1', { team: 'b' }));
    const { events, handlers } = recorder();
    const informer = new Informer<ConfigMap>({
      client,
      resource: CONFIGMAPS,
      namespace: NS,
      labelSelector: 'team=a',
      log,
      handlers,
      pageSize: 1,
    });
    informer.start();
    try {
      await informer.synced();
      expect(
        informer
          .list()
          .map((o) => o.metadata.name)
          .sort(),
      ).toEqual(['a1', 'a2']);
      expect(informer.get('a1', NS)?.metadata.labels).toEqual({ team: 'a' });
      expect(informer.get('b1', NS)).toBeUndefined();
      await create(configMap('b2', { team: 'b' }));
      await create(configMap('a3', { team: 'a' }));
      await client.request({
        method: 'PATCH',
        path: objectPath(CONFIGMAPS, 'a1', NS),
        contentType: 'application/merge-patch+json',
        body: { data: { value: '2' } },
      });
      await client.request({ method: 'DELETE', path: objectPath(CONFIGMAPS, 'a2', NS) });
      await eventually(
        () => expect(events).toEqual(['relist', 'add a1', 'add a2', 'add a3', 'update a1=2', 'delete a2']),
        30_000,
      );
      expect(
        informer
          .list()
          .map((o) => o.metadata.name)
          .sort(),
      ).toEqual(['a1', 'a3']);
      expect(informer.healthy).toBe(true);
    } finally {
      await informer.stop();
    }
  });

  it('watches again from where it was when the server ends the watch, without a relist', async () => {
    const { events, handlers } = recorder();
    const informer = new Informer<ConfigMap>({
      client,
      resource: CONFIGMAPS,
      namespace: NS,
      labelSelector: 'team=c',
      log,
      handlers,
      watchTimeoutSeconds: 1,
    });
    informer.start();
    try {
      await informer.synced();
      await until(() => informer.stats.watches >= 3, 'the server to end two watches', 30_000);
      await create(configMap('c1', { team: 'c' }));
      await eventually(() => expect(informer.get('c1', NS)).toBeDefined(), 30_000);
      expect(events).toEqual(['relist', 'add c1']);
      expect(informer.stats.lists).toBe(1);
    } finally {
      await informer.stop();
    }
  });

  it('after the API server was gone it lists again (on the injected clock) and reports what changed meanwhile', async () => {
    if (env === undefined) throw new Error('no testenv');
    await create(configMap('d1', { team: 'd' }));
    await create(configMap('d2', { team: 'd' }));
    const clock = new ManualClock();
    const { events, handlers } = recorder();
    const informer = new Informer<ConfigMap>({
      client,
      resource: CONFIGMAPS,
      namespace: NS,
      labelSelector: 'team=d',
      log,
      handlers,
      clock,
      backoff: { baseMs: 250, maxMs: 1_000 },
    });
    // What a handler reads from the cache at each event of a (re)list: always the whole new state, never a half-built
    // one (the agent's pool sync replaces its pools from list() and dropped allocations when it saw a partial one).
    const seen: string[] = [];
    const snapshot = (): void => {
      seen.push(
        informer
          .list()
          .map((o) => `${o.metadata.name}=${o.data?.['value'] ?? ''}`)
          .sort()
          .join(','),
      );
    };
    informer.on({ onAdd: snapshot, onUpdate: snapshot, onDelete: snapshot });
    informer.start();
    try {
      await informer.synced();
      await env.stopApiServer();
      await until(() => clock.pending().length === 1, 'the informer to schedule a restart', 30_000);
      expect(informer.healthy).toBe(false);
      expect(clock.pending()).toEqual([250]);
      await env.startApiServer();
      await client.request({ method: 'DELETE', path: objectPath(CONFIGMAPS, 'd1', NS) });
      await client.request({
        method: 'PATCH',
        path: objectPath(CONFIGMAPS, 'd2', NS),
        contentType: 'application/merge-patch+json',
        body: { data: { value: '5' } },
      });
      await create(configMap('d3', { team: 'd' }));
      clock.fire();
      await until(() => informer.healthy, 'the informer to list again', 30_000);
      expect(informer.stats.lists).toBe(2);
      expect(
        informer
          .list()
          .map((o) => `${o.metadata.name}=${o.data?.['value'] ?? ''}`)
          .sort(),
      ).toEqual(['d2=5', 'd3=1']);
      expect(events.slice(3).sort()).toEqual(['add d3', 'delete d1', 'relist', 'update d2=5'].sort());
      expect(events.slice(0, 3)).toEqual(['relist', 'add d1', 'add d2']);
      expect(seen).toEqual(['d1=1,d2=1', 'd1=1,d2=1', 'd2=5,d3=1', 'd2=5,d3=1', 'd2=5,d3=1']);
    } finally {
      await informer.stop();
    }
  });
});
