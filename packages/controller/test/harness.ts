// Shared by the integration tests: a real control plane (testenv), a raw API client, fixtures, and waiting.
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeClient } from '@multinic/kube';
import { pino } from 'pino';
import { eventually, startTestEnv, type TestEnv } from '@multinic/testenv';
import { Controller, makeConfig, type ControllerConfigInput } from '../src/index.js';
import { isErrorCode } from '../src/errors.js';
import type { KubeList, KubeObject } from '../src/objects.js';
import { collectionPath, objectPath, RESOURCES, type Resource } from '../src/resources.js';

export { RESOURCES, eventually };

export const LEASE_NAMESPACE = 'multinic-system';

export async function startEnv(
  options: { serviceAccounts?: { namespace: string; name: string }[] } = {},
): Promise<{ env: TestEnv; api: Api }> {
  const env = await startTestEnv(
    options.serviceAccounts === undefined ? {} : { serviceAccounts: options.serviceAccounts },
  );
  const api = new Api(new KubeClient(env.kubeConfig));
  await api.create(RESOURCES.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: LEASE_NAMESPACE } });
  return { env, api };
}

/** A thin test client: create, read, list, patch, delete. */
export class Api {
  constructor(readonly rest: KubeClient) {}

  create(resource: Resource, obj: KubeObject): Promise<KubeObject> {
    return this.rest.request({ method: 'POST', path: collectionPath(resource, obj.metadata.namespace), body: obj });
  }

  async get(resource: Resource, name: string, namespace?: string): Promise<KubeObject | undefined> {
    try {
      return await this.rest.request<KubeObject>({ method: 'GET', path: objectPath(resource, name, namespace) });
    } catch (err) {
      if (isErrorCode(err, 'NOT_FOUND')) return undefined;
      throw err;
    }
  }

  async list(resource: Resource, options: { namespace?: string; labelSelector?: string } = {}): Promise<KubeObject[]> {
    const list = await this.rest.request<KubeList<KubeObject>>({
      method: 'GET',
      path: collectionPath(resource, options.namespace),
      query: { labelSelector: options.labelSelector },
    });
    return list.items;
  }

  /** JSON merge patch (`status: true` for the status subresource). */
  patch(
    resource: Resource,
    target: { name: string; namespace?: string; status?: boolean },
    patch: unknown,
  ): Promise<KubeObject> {
    return this.rest.request({
      method: 'PATCH',
      path: objectPath(resource, target.name, target.namespace) + (target.status === true ? '/status' : ''),
      body: patch,
      contentType: 'application/merge-patch+json',
    });
  }

  async remove(resource: Resource, name: string, namespace?: string): Promise<void> {
    try {
      await this.rest.request({ method: 'DELETE', path: objectPath(resource, name, namespace) });
    } catch (err) {
      if (!isErrorCode(err, 'NOT_FOUND')) throw err;
    }
  }
}

export interface NicSpec {
  readonly interfaceName: string;
  readonly netAddress: string;
  readonly hostIP: string;
}

export function node(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name } };
}

export function hostInterface(name: string, nics: readonly NicSpec[]): KubeObject {
  return {
    apiVersion: 'multinic.dev/v1',
    kind: 'HostInterface',
    metadata: { name },
    spec: { hostName: name, interfaces: nics },
  };
}

/** The usual two NICs of host number `i` (1-based): eth1 on 10.0.1.0/24, eth2 on 10.0.2.0/24. */
export function twoNics(i: number): NicSpec[] {
  return [
    { interfaceName: 'eth1', netAddress: '10.0.1.0/24', hostIP: `10.0.1.${i}` },
    { interfaceName: 'eth2', netAddress: '10.0.2.0/24', hostIP: `10.0.2.${i}` },
  ];
}

export async function addHost(api: Api, name: string, nics: readonly NicSpec[]): Promise<void> {
  await api.create(RESOURCES.nodes, node(name));
  await api.create(RESOURCES.hostInterfaces, hostInterface(name, nics));
}

export function network(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'multinic.dev/v1',
    kind: 'MultiNicNetwork',
    metadata: { name },
    spec: {
      subnet: '192.168.0.0/16',
      masterNets: ['10.0.1.0/24', '10.0.2.0/24'],
      ipam: { type: 'multi-nic-ipam', interfaceBlock: 2, hostBlock: 6, vlanMode: 'l3' },
      multiNICIPAM: true,
      plugin: { cniVersion: '1.0.0', type: 'ipvlan', args: { mode: 'l3' } },
      ...spec,
    },
  };
}

export const quietLogger = pino({ level: process.env['MULTINIC_TEST_LOG'] ?? 'silent' });

let replicas = 0;

/** A controller in this process; leader election on with short periods unless overridden. */
export async function startController(
  env: TestEnv,
  overrides: Partial<ControllerConfigInput> = {},
): Promise<Controller> {
  const config = makeConfig({
    identity: `test-replica-${++replicas}`,
    httpPort: 0,
    leaseNamespace: LEASE_NAMESPACE,
    leaseDurationSeconds: 3,
    renewDeadlineSeconds: 2,
    retryPeriodSeconds: 0.25,
    backoffBaseMs: 50,
    backoffMaxMs: 2_000,
    ...overrides,
  });
  return Controller.start({
    kubeConfig: env.kubeConfig,
    config,
    logger: quietLogger.child({ replica: config.identity }),
  });
}

/** The ClusterRole the README documents, bound to `system:serviceaccount:<namespace>:<name>`. */
export async function grantControllerRbac(api: Api, subject: { namespace: string; name: string }): Promise<void> {
  const rbac = (plural: string, kind: string) => ({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural,
    kind,
    namespaced: false,
  });
  const rules = [
    { apiGroups: ['multinic.dev'], resources: ['multinicnetworks', 'hostinterfaces'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['multinic.dev'], resources: ['multinicnetworks/status'], verbs: ['patch'] },
    { apiGroups: [''], resources: ['nodes', 'namespaces'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['multinic.dev'], resources: ['cidrs'], verbs: ['get', 'list', 'watch', 'create', 'update'] },
    {
      apiGroups: ['multinic.dev'],
      resources: ['ippools'],
      verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
    },
    {
      apiGroups: ['k8s.cni.cncf.io'],
      resources: ['network-attachment-definitions'],
      verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
    },
    { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
  ];
  const name = 'multinic-controller';
  await api.create(rbac('clusterroles', 'ClusterRole'), {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name },
    rules,
  } as unknown as KubeObject);
  await api.create(rbac('clusterrolebindings', 'ClusterRoleBinding'), {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ kind: 'ServiceAccount', namespace: subject.namespace, name: subject.name }],
  } as unknown as KubeObject);
}

/** Resolves when the controller has nothing queued or in progress, twice in a row 300 ms apart. */
export async function settled(controller: Controller): Promise<void> {
  await eventually(async () => {
    for (let i = 0; i < 2; i++) {
      const s = controller.stats();
      if (!s.synced || s.queueDepth > 0 || s.processing > 0) throw new Error(`controller busy: ${JSON.stringify(s)}`);
      await sleep(300);
    }
  });
}

export function conditionOf(
  obj: KubeObject | undefined,
  type: string,
): { status: string; reason: string; message: string } | undefined {
  const conditions = (
    obj?.status as { conditions?: { type: string; status: string; reason: string; message: string }[] } | undefined
  )?.conditions;
  return conditions?.find((c) => c.type === type);
}

/** resourceVersion of every object the controller generates, by kind/namespace/name. */
export async function versions(api: Api): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const resource of [RESOURCES.cidrs, RESOURCES.ippools, RESOURCES.nads, RESOURCES.networks]) {
    for (const obj of await api.list(resource))
      out[`${resource.plural}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`] =
        obj.metadata.resourceVersion ?? '';
  }
  return out;
}
