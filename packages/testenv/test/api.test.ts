// The API server's own behaviour that our controller relies on, through @kubernetes/client-node:
// CRD CRUD and watches, CEL validation, optimistic concurrency, and RBAC for ServiceAccounts.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AuthenticationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  RbacAuthorizationV1Api,
  makeInformer,
  type KubernetesObject,
  type KubeConfig,
} from '@kubernetes/client-node';
import { crdFiles, findWorkspaceRoot, loadCrds, startTestEnv, type TestEnv } from '@multinic/testenv';
import { apiStatus, eventually, until, widgetCrd, widgets } from './helpers.js';

interface Widget extends KubernetesObject {
  spec: { cidr: string; minPrefix?: number; maxPrefix?: number };
}

let env: TestEnv;
let objects: CustomObjectsApi;
let core: CoreV1Api;

function widget(name: string, spec: Widget['spec']): Widget {
  return { apiVersion: 'testenv.multinic.io/v1alpha1', kind: 'Widget', metadata: { name }, spec };
}

async function createWidget(namespace: string, body: Widget): Promise<Widget> {
  return (await objects.createNamespacedCustomObject({ ...widgets, namespace, body })) as Widget;
}

async function getWidget(namespace: string, name: string): Promise<Widget> {
  return (await objects.getNamespacedCustomObject({ ...widgets, namespace, name })) as Widget;
}

async function whoAmI(kc: KubeConfig): Promise<string | undefined> {
  const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
  return review.status?.userInfo?.username;
}

beforeAll(async () => {
  env = await startTestEnv({ crdPaths: [widgetCrd], serviceAccounts: [{ namespace: 'rbac', name: 'reader' }] });
  objects = env.kubeConfig.makeApiClient(CustomObjectsApi);
  core = env.kubeConfig.makeApiClient(CoreV1Api);
  for (const name of ['crud', 'watch', 'rbac']) await core.createNamespace({ body: { metadata: { name } } });
});

afterAll(async () => {
  await env?.stop();
});

describe('start-up', () => {
  it('serves the real Kubernetes version and established the given CRD and Multus NetworkAttachmentDefinition', async () => {
    expect(env.crds).toEqual(['widgets.testenv.multinic.io', 'network-attachment-definitions.k8s.cni.cncf.io']);
    const nad = {
      apiVersion: 'k8s.cni.cncf.io/v1',
      kind: 'NetworkAttachmentDefinition',
      metadata: { name: 'macvlan-a' },
      spec: { config: '{"cniVersion":"1.0.0","type":"macvlan"}' },
    };
    const nadApi = { group: 'k8s.cni.cncf.io', version: 'v1', plural: 'network-attachment-definitions' };
    await objects.createNamespacedCustomObject({ ...nadApi, namespace: 'crud', body: nad });
    const read = (await objects.getNamespacedCustomObject({ ...nadApi, namespace: 'crud', name: 'macvlan-a' })) as {
      spec: { config: string };
    };
    expect(read.spec.config).toBe(nad.spec.config);
  });

  it('installs every CRD of charts/multinic/crds/ (create or replace, idempotent)', async () => {
    const chart = path.join(findWorkspaceRoot(), 'charts', 'multinic', 'crds');
    const paths = existsSync(chart) ? [chart] : [];
    const expected = loadCrds(crdFiles(paths)).map((s) => s.crd.metadata?.name);
    expect(await env.installCrds(paths)).toEqual(expected);
    expect(await env.installCrds(paths)).toEqual(expected);
  });
});

describe('our MultiNicNetwork CRD', () => {
  const mnn = { group: 'multinic.dev', version: 'v1', plural: 'multinicnetworks' } as const;
  const network = (name: string, subnet: string): KubernetesObject & { spec: Record<string, unknown> } => ({
    apiVersion: 'multinic.dev/v1',
    kind: 'MultiNicNetwork',
    metadata: { name },
    spec: { subnet, ipam: { type: 'multinic-ipam' }, plugin: { cniVersion: '1.0.0', type: 'ipvlan' } },
  });

  beforeAll(async () => {
    await env.installCrds([
      path.join(findWorkspaceRoot(), 'charts', 'multinic', 'crds', 'multinicnetworks.multinic.dev.yaml'),
    ]);
  });

  it.each([
    {
      case: 'host bits set',
      subnet: '10.0.1.1/24',
      message: /spec.subnet: Invalid value: "string": has host bits set/,
    },
    {
      case: 'not a prefix',
      subnet: '10.0.1.0',
      message: /spec.subnet: Invalid value: "string": must be an IPv4 or IPv6 prefix/,
    },
  ])('the CEL rules reject a MultiNicNetwork with $case', async ({ subnet, message }) => {
    const res = await apiStatus(objects.createClusterCustomObject({ ...mnn, body: network('bad', subnet) }));
    expect(res.code).toBe(422);
    expect(res.message).toMatch(message);
  });

  it('accepts a valid MultiNicNetwork, and a transition rule forbids changing its subnet', async () => {
    await objects.createClusterCustomObject({ ...mnn, body: network('good', '10.0.1.0/24') });
    const current = (await objects.getClusterCustomObject({ ...mnn, name: 'good' })) as ReturnType<typeof network>;
    current.spec['subnet'] = '10.0.2.0/24';
    const res = await apiStatus(objects.replaceClusterCustomObject({ ...mnn, name: 'good', body: current }));
    expect(res.code).toBe(422);
    expect(res.message).toMatch(/subnet cannot be changed once set/);
  });
});

describe('custom resources', () => {
  it('create, read, update, list and delete a Widget', async () => {
    const created = await createWidget('crud', widget('w1', { cidr: '10.0.0.0/8', minPrefix: 24, maxPrefix: 28 }));
    expect(created.metadata?.uid).toBeTruthy();
    const read = await getWidget('crud', 'w1');
    read.spec.maxPrefix = 30;
    await objects.replaceNamespacedCustomObject({ ...widgets, namespace: 'crud', name: 'w1', body: read });
    expect((await getWidget('crud', 'w1')).spec.maxPrefix).toBe(30);
    const list = (await objects.listNamespacedCustomObject({ ...widgets, namespace: 'crud' })) as { items: Widget[] };
    expect(list.items.map((w) => w.metadata?.name)).toEqual(['w1']);
    await objects.deleteNamespacedCustomObject({ ...widgets, namespace: 'crud', name: 'w1' });
    expect((await apiStatus(getWidget('crud', 'w1'))).code).toBe(404);
  });

  it('an informer sees add, update and delete', async () => {
    const informer = makeInformer<Widget>(
      env.kubeConfig,
      '/apis/testenv.multinic.io/v1alpha1/namespaces/watch/widgets',
      () => objects.listNamespacedCustomObject({ ...widgets, namespace: 'watch' }),
    );
    const events: string[] = [];
    informer.on('add', (w) => events.push(`add ${w.metadata?.name} ${w.spec.cidr}`));
    informer.on('update', (w) => events.push(`update ${w.metadata?.name} ${w.spec.cidr}`));
    informer.on('delete', (w) => events.push(`delete ${w.metadata?.name}`));
    await informer.start();
    try {
      await createWidget('watch', widget('w', { cidr: '10.1.0.0/16' }));
      await until(() => events.length === 1, 'the add event');
      const w = await getWidget('watch', 'w');
      w.spec.cidr = '10.2.0.0/16';
      await objects.replaceNamespacedCustomObject({ ...widgets, namespace: 'watch', name: 'w', body: w });
      await until(() => events.length === 2, 'the update event');
      await objects.deleteNamespacedCustomObject({ ...widgets, namespace: 'watch', name: 'w' });
      await until(() => events.length === 3, 'the delete event');
      expect(events).toEqual(['add w 10.1.0.0/16', 'update w 10.2.0.0/16', 'delete w']);
      expect(informer.list('watch')).toEqual([]);
    } finally {
      await informer.stop();
    }
  });

  it.each([
    {
      case: 'min above max',
      spec: { cidr: '10.0.0.0/8', minPrefix: 28, maxPrefix: 24 },
      message: /spec.minPrefix must not be larger than spec.maxPrefix/,
    },
    { case: 'cidr missing', spec: { minPrefix: 24 }, message: /spec.cidr: Required value/ },
    {
      case: 'wrong type',
      spec: { cidr: '10.0.0.0/8', minPrefix: 'x' },
      message: /spec.minPrefix in body must be of type integer/,
    },
  ])('rejects an invalid Widget ($case) as 422 with the reason', async ({ spec, message }) => {
    const res = await apiStatus(createWidget('crud', widget('bad', spec as unknown as Widget['spec'])));
    expect(res.code).toBe(422);
    expect(res.message).toMatch(message);
  });

  it('an update with a stale resourceVersion is a 409 conflict', async () => {
    await createWidget('crud', widget('race', { cidr: '10.0.0.0/8' }));
    const first = await getWidget('crud', 'race');
    const second = await getWidget('crud', 'race');
    first.spec.cidr = '10.1.0.0/16';
    await objects.replaceNamespacedCustomObject({ ...widgets, namespace: 'crud', name: 'race', body: first });
    second.spec.cidr = '10.2.0.0/16';
    const res = await apiStatus(
      objects.replaceNamespacedCustomObject({ ...widgets, namespace: 'crud', name: 'race', body: second }),
    );
    expect(res.code).toBe(409);
    expect(res.message).toMatch(/the object has been modified/);
    expect((await getWidget('crud', 'race')).spec.cidr).toBe('10.1.0.0/16');
  });
});

describe('ServiceAccounts and RBAC', () => {
  it('a registered ServiceAccount is authenticated as itself and denied until a RoleBinding allows it', async () => {
    const reader = await env.serviceAccountKubeConfig('rbac', 'reader');
    expect(await whoAmI(reader)).toBe('system:serviceaccount:rbac:reader');
    const api = reader.makeApiClient(CustomObjectsApi);
    const denied = await apiStatus(api.listNamespacedCustomObject({ ...widgets, namespace: 'rbac' }));
    expect(denied.code).toBe(403);
    const rbac = env.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: 'rbac',
      body: {
        metadata: { name: 'widget-reader' },
        rules: [{ apiGroups: ['testenv.multinic.io'], resources: ['widgets'], verbs: ['get', 'list', 'watch'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: 'rbac',
      body: {
        metadata: { name: 'widget-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: 'rbac' }],
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'widget-reader' },
      },
    });
    const list = await eventually(() => api.listNamespacedCustomObject({ ...widgets, namespace: 'rbac' }), 10_000);
    expect((list as { items: unknown[] }).items).toEqual([]);
    const write = await apiStatus(
      createWidget('rbac', widget('x', { cidr: '10.0.0.0/8' })).then(() =>
        api.createNamespacedCustomObject({ ...widgets, namespace: 'rbac', body: widget('y', { cidr: '10.0.0.0/8' }) }),
      ),
    );
    expect(write.code).toBe(403);
  });

  it('any other ServiceAccount gets a real bound token through the TokenRequest API', async () => {
    const writer = await env.serviceAccountKubeConfig('rbac-other', 'writer');
    expect(await whoAmI(writer)).toBe('system:serviceaccount:rbac-other:writer');
    const denied = await apiStatus(
      writer.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: 'rbac-other' }),
    );
    expect(denied.code).toBe(403);
  });
});
