// `helm install` of the chart into a real control plane (etcd + kube-apiserver from @multinic/testenv): the CRDs
// and every rendered object are created, every value set passes the API server's strict validation, the NOTES'
// example applies, and RBAC holds for real: SubjectAccessReviews for every call each component makes (allowed)
// and for the deny-list (denied), plus real requests that show the agent writes IPPool status but not spec.
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthorizationV1Api, CustomObjectsApi, KubernetesObjectApi, type KubeConfig } from '@kubernetes/client-node';
import { startTestEnv, type TestEnv } from '@multinic/testenv';
import {
  API_NEEDS,
  chartDir,
  DENIED,
  helm,
  manifestKey,
  parseManifests,
  renderChart,
  toolBinary,
  type Component,
  type Manifest,
} from '../src/index.js';
import { podBoundToken } from './node-tokens.js';
import { exec, execOk, NAMESPACE, RELEASE, TEST_DIR, VALUE_SETS } from './support.js';

const MULTINIC_CRDS = [
  'cidrs.multinic.dev',
  'hostinterfaces.multinic.dev',
  'ippools.multinic.dev',
  'multinicnetworks.multinic.dev',
  'nicclasses.multinic.dev',
];
const SA: Record<Component, string> = { controller: 'multinic-controller', agent: 'multinic-agent' };

let env: TestEnv | undefined;
let kubectl: string;
let installed: Manifest[] = [];

function started(): TestEnv {
  if (env === undefined) throw new Error('the control plane did not start (see beforeAll)');
  return env;
}

const k = (args: readonly string[], stdin?: string): Promise<string> =>
  execOk(kubectl, ['--kubeconfig', started().kubeconfigPath, ...args], stdin === undefined ? {} : { stdin });
const helmK = (args: readonly string[]): Promise<string> =>
  helm({ args: [...args, '--kubeconfig', started().kubeconfigPath] });

beforeAll(async () => {
  kubectl = toolBinary('kubectl');
  // No CRDs from the harness: the chart's crds/ must install them. The ServiceMonitor stand-in is for the value set
  // that enables monitoring.
  env = await startTestEnv({ crdPaths: [], multusCrd: true });
  await env.installCrds([path.join(TEST_DIR, 'fixtures', 'servicemonitor-crd.yaml')]);
  await helmK(['install', RELEASE, chartDir(), '--namespace', NAMESPACE, '--create-namespace']);
  installed = parseManifests(await renderChart({ release: RELEASE, namespace: NAMESPACE }));
}, 180_000);

afterAll(async () => {
  await env?.stop();
}, 60_000);

describe('helm install', () => {
  it('installs the CRDs from crds/ and they are established', async () => {
    const out = JSON.parse(await k(['get', 'crd', '-o', 'json'])) as {
      items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[];
    };
    for (const name of MULTINIC_CRDS) {
      const crd = out.items.find((c) => c.metadata.name === name);
      expect(crd?.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    }
  });

  it('reports the release deployed', async () => {
    const status = JSON.parse(await helmK(['status', RELEASE, '--namespace', NAMESPACE, '-o', 'json'])) as {
      info: { status: string };
    };
    expect(status.info.status).toBe('deployed');
  });

  it('creates every object the chart renders', async () => {
    const api = KubernetesObjectApi.makeApiClient(started().kubeConfig);
    expect(installed.map((m) => m.kind).sort()).toEqual(
      [
        'ClusterRole',
        'ClusterRole',
        'ClusterRoleBinding',
        'ClusterRoleBinding',
        'ConfigMap',
        'DaemonSet',
        'Deployment',
        'PodDisruptionBudget',
        'Role',
        'Role',
        'Role',
        'RoleBinding',
        'RoleBinding',
        'RoleBinding',
        'Service',
        'Service',
        'ServiceAccount',
        'ServiceAccount',
        'ValidatingAdmissionPolicy',
        'ValidatingAdmissionPolicyBinding',
      ].sort(),
    );
    const missing: string[] = [];
    for (const m of installed) {
      const found = await api
        .read({
          apiVersion: m.apiVersion,
          kind: m.kind,
          metadata: {
            name: m.metadata.name,
            ...(m.metadata.namespace === undefined ? {} : { namespace: m.metadata.namespace }),
          },
        })
        .catch(() => undefined);
      if (found?.metadata?.labels?.['app.kubernetes.io/instance'] !== RELEASE) missing.push(manifestKey(m));
    }
    expect(missing).toEqual([]);
  });

  it.each(VALUE_SETS)(
    'the $name value set passes server-side validation with strict field checking',
    async ({ name, files }) => {
      const ns = `vs-${name}`;
      await k(['create', 'namespace', ns]);
      const text = await renderChart({ release: `r-${name}`, namespace: ns, valuesFiles: files });
      const out = await exec(
        kubectl,
        ['--kubeconfig', started().kubeconfigPath, 'apply', '--dry-run=server', '--validate=strict', '-f', '-'],
        { stdin: text },
      );
      expect(out.stderr).toBe('');
      expect(out.code).toBe(0);
      expect(out.stdout.trim().split('\n')).toHaveLength(parseManifests(text).length);
    },
  );

  it('the MultiNicNetwork that NOTES.txt tells the user to apply is accepted', async () => {
    const notes = await helmK(['get', 'notes', RELEASE, '--namespace', NAMESPACE]);
    const example = /cat <<'YAML' \| kubectl apply -f -\n([\s\S]*?)\n\s*YAML\n/.exec(notes)?.[1];
    expect(example).toBeDefined();
    const yaml = (example ?? '').replace(/^ {5}/gm, '');
    await k(['apply', '-f', '-'], yaml);
    const network = await started().kubeConfig.makeApiClient(CustomObjectsApi).getClusterCustomObject({
      group: 'multinic.dev',
      version: 'v1',
      plural: 'multinicnetworks',
      name: 'multi-nic-sample',
    });
    expect((network as { spec: { subnet: string } }).spec.subnet).toBe('192.168.0.0/16');
  });
});

// ------------------------------------------------------------------------------------------------ RBAC

interface Review {
  readonly component: Component;
  readonly group: string;
  readonly resource: string;
  readonly verb: string;
  readonly namespace?: string;
  readonly name?: string;
}

async function allowed(kc: KubeConfig, r: Review): Promise<boolean> {
  const [resource, subresource] = r.resource.split('/') as [string, string | undefined];
  const review = await kc.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: `system:serviceaccount:${NAMESPACE}:${SA[r.component]}`,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${NAMESPACE}`, 'system:authenticated'],
        resourceAttributes: {
          group: r.group,
          resource,
          verb: r.verb,
          ...(subresource === undefined ? {} : { subresource }),
          ...(r.namespace === undefined ? {} : { namespace: r.namespace }),
          ...(r.name === undefined ? {} : { name: r.name }),
        },
      },
    },
  });
  return review.status?.allowed === true;
}

const describeReview = (r: Review): string =>
  `${r.component}: ${r.verb} ${r.group || 'core'}/${r.resource}${r.namespace === undefined ? '' : ` in ${r.namespace}`}${r.name === undefined ? '' : ` (${r.name})`}`;

/** Each need × verb; namespaced needs in the release namespace, cluster-wide needs across all namespaces. */
const ALLOWED: readonly Review[] = API_NEEDS.flatMap((n) =>
  n.verbs.map((verb) => ({
    component: n.component,
    group: n.group,
    resource: n.resource,
    verb,
    ...(n.scope === 'cluster' ? {} : { namespace: n.scope === 'default-namespace' ? 'default' : NAMESPACE }),
    ...(n.resourceName === undefined ? {} : { name: 'multinic-controller' }),
  })),
);

describe('RBAC for real (SubjectAccessReview against the installed chart)', () => {
  it.each(ALLOWED.map((r) => ({ ...r, label: describeReview(r) })))('allows $label', async (review) => {
    expect(await allowed(started().kubeConfig, review)).toBe(true);
  });

  it.each(
    DENIED.map((d) => ({
      ...d,
      namespace: d.namespace === 'release' ? NAMESPACE : d.namespace,
      label: `${d.component}: ${d.verb} ${d.group || 'core'}/${d.resource}${d.namespace === undefined ? '' : ` in ${d.namespace}`}${d.name === undefined ? '' : ` (${d.name})`} — ${d.why}`,
    })),
  )('denies $label', async (d) => {
    const review: Review = {
      component: d.component,
      group: d.group,
      resource: d.resource,
      verb: d.verb,
      ...(d.namespace === undefined ? {} : { namespace: d.namespace }),
      ...(d.name === undefined ? {} : { name: d.name }),
    };
    expect(await allowed(started().kubeConfig, review)).toBe(false);
  });

  it('kubectl auth can-i --as the agent agrees: ippools/status update yes, ippools patch no, secrets no', async () => {
    const can = async (args: string[]): Promise<string> => {
      const out = await exec(kubectl, [
        '--kubeconfig',
        started().kubeconfigPath,
        'auth',
        'can-i',
        ...args,
        `--as=system:serviceaccount:${NAMESPACE}:${SA.agent}`,
      ]);
      return out.stdout.trim();
    };
    expect(await can(['update', 'ippools.multinic.dev', '--subresource=status'])).toBe('yes');
    expect(await can(['patch', 'ippools.multinic.dev'])).toBe('no');
    expect(await can(['get', 'secrets', '-n', NAMESPACE])).toBe('no');
  });

  it('with its own token the agent writes an IPPool status, but neither its spec nor a network status', async () => {
    const e = started();
    const admin = e.kubeConfig.makeApiClient(CustomObjectsApi);
    const pool = {
      apiVersion: 'multinic.dev/v1',
      kind: 'IPPool',
      metadata: { name: 'net-a-node-1-eth1' },
      spec: {
        network: 'net-a',
        hostName: 'node-1',
        interfaceName: 'eth1',
        podCIDR: '10.9.1.0/26',
        vlanCIDR: '10.9.0.0/18',
        excludes: [],
      },
    };
    await admin.createClusterCustomObject({ group: 'multinic.dev', version: 'v1', plural: 'ippools', body: pool });
    // The token of an agent pod on node-1, as its projected volume has it (the chart's node restriction needs one).
    const agent = (
      await podBoundToken(e, { namespace: NAMESPACE, serviceAccount: SA.agent, pod: 'agent-node-1', node: 'node-1' })
    ).kubeConfig.makeApiClient(CustomObjectsApi);
    const ref = { group: 'multinic.dev', version: 'v1', plural: 'ippools', name: pool.metadata.name };
    const current = (await agent.getClusterCustomObject(ref)) as typeof pool & {
      metadata: { resourceVersion: string };
    };
    const allocation = {
      address: '10.9.1.1',
      containerID: 'c1',
      interface: 'net1-0',
      podName: 'p',
      podNamespace: 'default',
      podUID: 'u1',
    };
    const updated = (await agent.replaceClusterCustomObjectStatus({
      ...ref,
      body: { ...current, status: { allocations: [allocation] } },
    })) as { status: { allocations: unknown[] } };
    expect(updated.status.allocations).toEqual([allocation]);
    await expect(
      agent.replaceClusterCustomObject({
        ...ref,
        body: { ...current, spec: { ...pool.spec, excludes: ['10.9.1.0/28'] } },
      }),
    ).rejects.toMatchObject({ code: 403 });
    await expect(agent.deleteClusterCustomObject(ref)).rejects.toMatchObject({ code: 403 });
    const controller = (await e.serviceAccountKubeConfig(NAMESPACE, SA.controller)).makeApiClient(CustomObjectsApi);
    await expect(
      controller.replaceClusterCustomObjectStatus({ ...ref, body: { ...current, status: { allocations: [] } } }),
    ).rejects.toMatchObject({ code: 403 });
  });
});

describe('helm uninstall', () => {
  it("removes every object it created and keeps the CRDs (and so the users' networks)", async () => {
    await helmK(['uninstall', RELEASE, '--namespace', NAMESPACE, '--wait']);
    const api = KubernetesObjectApi.makeApiClient(started().kubeConfig);
    const left: string[] = [];
    for (const m of installed) {
      const found = await api
        .read({
          apiVersion: m.apiVersion,
          kind: m.kind,
          metadata: {
            name: m.metadata.name,
            ...(m.metadata.namespace === undefined ? {} : { namespace: m.metadata.namespace }),
          },
        })
        .catch(() => undefined);
      if (found !== undefined) left.push(manifestKey(m));
    }
    expect(left).toEqual([]);
    expect(await k(['get', 'multinicnetworks', '-o', 'name'])).toContain('multi-nic-sample');
  });
});
