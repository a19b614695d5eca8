// What kube-controller-manager does for us (ownerReference garbage collection, namespace deletion) and what
// the fault helpers promise (an API server restart keeps the data and the clients keep working).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, CustomObjectsApi, type V1ConfigMap, type V1OwnerReference } from '@kubernetes/client-node';
import { startTestEnv, type TestEnv } from '@multinic/testenv';
import { apiStatus, eventually, widgetCrd, widgets } from './helpers.js';

let env: TestEnv;
let core: CoreV1Api;
let objects: CustomObjectsApi;

function configMap(name: string, ownerReferences: V1OwnerReference[] = []): V1ConfigMap {
  return { metadata: { name, ownerReferences }, data: { k: 'v' } };
}

/** Resolves once GET of the object answers 404. */
async function gone(read: () => Promise<unknown>): Promise<void> {
  await eventually(async () => {
    const { code } = await apiStatus(read());
    if (code !== 404) throw new Error(`still there (HTTP ${code})`);
  });
}

beforeAll(async () => {
  env = await startTestEnv({ crdPaths: [widgetCrd], multusCrd: false });
  core = env.kubeConfig.makeApiClient(CoreV1Api);
  objects = env.kubeConfig.makeApiClient(CustomObjectsApi);
  await core.createNamespace({ body: { metadata: { name: 'gc' } } });
});

afterAll(async () => {
  await env?.stop();
});

describe('kube-controller-manager', () => {
  it('deleting a custom resource garbage-collects the ConfigMap it owns, and leaves an unowned one', async () => {
    const owner = (await objects.createNamespacedCustomObject({
      ...widgets,
      namespace: 'gc',
      body: {
        apiVersion: 'testenv.multinic.io/v1alpha1',
        kind: 'Widget',
        metadata: { name: 'owner' },
        spec: { cidr: '10.0.0.0/8' },
      },
    })) as { metadata: { uid: string } };
    const ref: V1OwnerReference = {
      apiVersion: 'testenv.multinic.io/v1alpha1',
      kind: 'Widget',
      name: 'owner',
      uid: owner.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    };
    await core.createNamespacedConfigMap({ namespace: 'gc', body: configMap('dependent', [ref]) });
    await core.createNamespacedConfigMap({ namespace: 'gc', body: configMap('bystander') });
    await objects.deleteNamespacedCustomObject({ ...widgets, namespace: 'gc', name: 'owner' });
    await gone(() => core.readNamespacedConfigMap({ namespace: 'gc', name: 'dependent' }));
    expect((await core.readNamespacedConfigMap({ namespace: 'gc', name: 'bystander' })).data).toEqual({ k: 'v' });
  });

  it('foreground deletion removes the dependent before the owner', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace: 'gc', body: configMap('fg-owner') });
    const ref: V1OwnerReference = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: 'fg-owner',
      uid: owner.metadata?.uid ?? '',
      blockOwnerDeletion: true,
    };
    await core.createNamespacedConfigMap({ namespace: 'gc', body: configMap('fg-dependent', [ref]) });
    await core.deleteNamespacedConfigMap({
      namespace: 'gc',
      name: 'fg-owner',
      body: { propagationPolicy: 'Foreground' },
    });
    await gone(() => core.readNamespacedConfigMap({ namespace: 'gc', name: 'fg-owner' }));
    expect((await apiStatus(core.readNamespacedConfigMap({ namespace: 'gc', name: 'fg-dependent' }))).code).toBe(404);
  });

  it('a namespace with objects in it is deleted completely', async () => {
    await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    await core.createNamespacedConfigMap({ namespace: 'doomed', body: configMap('cm') });
    await objects.createNamespacedCustomObject({
      ...widgets,
      namespace: 'doomed',
      body: {
        apiVersion: 'testenv.multinic.io/v1alpha1',
        kind: 'Widget',
        metadata: { name: 'w' },
        spec: { cidr: '10.0.0.0/8' },
      },
    });
    await core.deleteNamespace({ name: 'doomed' });
    expect((await core.readNamespace({ name: 'doomed' })).status?.phase).toBe('Terminating');
    await gone(() => core.readNamespace({ name: 'doomed' }));
    const left = (await objects.listClusterCustomObject({
      ...widgets,
      fieldSelector: 'metadata.namespace=doomed',
    })) as {
      items: unknown[];
    };
    expect(left.items).toEqual([]);
  });
});

describe('API server faults', () => {
  it('restartApiServer keeps the data, the port and the certificate: the same client works again', async () => {
    const before = await core.createNamespacedConfigMap({ namespace: 'gc', body: configMap('survivor') });
    await env.stopApiServer();
    expect(env.pids()['kube-apiserver']).toBeUndefined();
    const down = await core.readNamespacedConfigMap({ namespace: 'gc', name: 'survivor' }).then(
      () => 'answered',
      (err: unknown) => String((err as { cause?: { code?: string } }).cause?.code),
    );
    expect(down).toBe('ECONNREFUSED');
    await env.startApiServer();
    expect(env.pids()['kube-apiserver']).toBeGreaterThan(0);
    const after = await core.readNamespacedConfigMap({ namespace: 'gc', name: 'survivor' });
    expect(after.metadata?.uid).toBe(before.metadata?.uid);
    await env.restartApiServer();
    const list = await core.listNamespacedConfigMap({ namespace: 'gc' });
    expect(list.items.map((c) => c.metadata?.name)).toContain('survivor');
  });

  it('garbage collection still works after a restart (kube-controller-manager reconnects)', async () => {
    await env.startApiServer(); // no-op when the previous test left it running
    const owner = await core.createNamespacedConfigMap({ namespace: 'gc', body: configMap('late-owner') });
    const ref: V1OwnerReference = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: 'late-owner',
      uid: owner.metadata?.uid ?? '',
    };
    await core.createNamespacedConfigMap({ namespace: 'gc', body: configMap('late-dependent', [ref]) });
    await core.deleteNamespacedConfigMap({ namespace: 'gc', name: 'late-owner' });
    await gone(() => core.readNamespacedConfigMap({ namespace: 'gc', name: 'late-dependent' }));
  });
});
