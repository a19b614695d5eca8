// Node-bound agents, against a real kube-apiserver: the chart's agent RBAC and its ValidatingAdmissionPolicy
// (templates/agent-node-restriction.yaml) applied as rendered, two Nodes with an agent Pod each, and tokens from the
// TokenRequest API bound to those pods. With node-a's token the agent writes node-a's HostInterface and the status of
// node-a's IPPools, and is refused (403, naming both nodes) for node-b's; a token of the agent's ServiceAccount that
// is not bound to a pod on a node is refused for every write, with a message saying which token to use.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AdmissionregistrationV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { eventually, startTestEnv, type TestEnv } from '@multinic/testenv';
import { parseManifests, renderChart, toolBinary } from '../src/index.js';
import { podBoundToken, refusal, unboundToken, whoAmI, type ObservedUser, type PodToken } from './node-tokens.js';
import { execOk, NAMESPACE, RELEASE } from './support.js';

const AGENT_SA = 'multinic-agent';
const POLICY = 'multinic-agent-node-restriction';
const TEMPLATES = ['templates/agent-rbac.yaml', 'templates/agent-node-restriction.yaml'];
const NODE_NAME_EXTRA = 'authentication.kubernetes.io/node-name';
const HI = { group: 'multinic.dev', version: 'v1', plural: 'hostinterfaces' };
const POOLS = { group: 'multinic.dev', version: 'v1', plural: 'ippools' };

let env: TestEnv | undefined;
const tokens: Record<'a' | 'b' | 'unscheduled' | 'unbound', PodToken | undefined> = {
  a: undefined,
  b: undefined,
  unscheduled: undefined,
  unbound: undefined,
};
const observed: Record<string, ObservedUser> = {};

function started(): TestEnv {
  if (env === undefined) throw new Error('the control plane did not start (see beforeAll)');
  return env;
}

function client(which: keyof typeof tokens): CustomObjectsApi {
  const t = tokens[which];
  if (t === undefined) throw new Error(`no ${which} token (see beforeAll)`);
  return t.kubeConfig.makeApiClient(CustomObjectsApi);
}

const hostInterface = (node: string): Record<string, unknown> => ({
  apiVersion: 'multinic.dev/v1',
  kind: 'HostInterface',
  metadata: { name: node },
  spec: { hostName: node, interfaces: [{ interfaceName: 'eth1', netAddress: '10.77.1.0/24', hostIP: '10.77.1.2' }] },
});

/** An IPPool of `node`; `label` sets the controller's multinic.dev/host label (which the policy must not trust). */
const pool = (node: string, label: string = node): Record<string, unknown> => ({
  apiVersion: 'multinic.dev/v1',
  kind: 'IPPool',
  metadata: { name: `nr-net-${node}-eth1`, labels: { 'multinic.dev/host': label } },
  spec: {
    network: 'nr-net',
    hostName: node,
    interfaceName: 'eth1',
    podCIDR: node === 'node-a' ? '10.9.1.0/26' : '10.9.1.64/26',
    vlanCIDR: '10.9.0.0/18',
    excludes: [],
  },
});

const allocation = {
  address: '10.9.1.1',
  containerID: 'c1',
  interface: 'net1-0',
  podName: 'p',
  podNamespace: 'default',
  podUID: 'u1',
};

/** PUT of the pool's status with one allocation, as the agent's mirror does (GET, then PUT with the resourceVersion). */
async function writePoolStatus(api: CustomObjectsApi, name: string, admin: CustomObjectsApi): Promise<unknown> {
  const current = (await admin.getClusterCustomObject({ ...POOLS, name })) as Record<string, unknown>;
  return api.replaceClusterCustomObjectStatus({
    ...POOLS,
    name,
    body: { ...current, status: { allocations: [allocation] } },
  });
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

beforeAll(async () => {
  // Only the controller that type-checks admission policies and writes their status.
  env = await startTestEnv({
    multusCrd: false,
    controllerManagerArgs: ['--controllers=validatingadmissionpolicy-status-controller'],
  });
  const kubectl = toolBinary('kubectl');
  const k = (args: readonly string[], stdin?: string): Promise<string> =>
    execOk(kubectl, ['--kubeconfig', started().kubeconfigPath, ...args], stdin === undefined ? {} : { stdin });
  await k(['create', 'namespace', NAMESPACE]);
  await k(['apply', '-f', '-'], await renderChart({ release: RELEASE, namespace: NAMESPACE, showOnly: TEMPLATES }));
  tokens.a = await podBoundToken(env, {
    namespace: NAMESPACE,
    serviceAccount: AGENT_SA,
    pod: 'agent-a',
    node: 'node-a',
  });
  tokens.b = await podBoundToken(env, {
    namespace: NAMESPACE,
    serviceAccount: AGENT_SA,
    pod: 'agent-b',
    node: 'node-b',
  });
  tokens.unscheduled = await podBoundToken(env, {
    namespace: NAMESPACE,
    serviceAccount: AGENT_SA,
    pod: 'agent-unscheduled',
  });
  tokens.unbound = await unboundToken(env, NAMESPACE, AGENT_SA);
  for (const which of ['a', 'unscheduled', 'unbound'] as const)
    observed[which] = await whoAmI((tokens[which] as PodToken).kubeConfig);
  const admin = env.kubeConfig.makeApiClient(CustomObjectsApi);
  await admin.createClusterCustomObject({ ...HI, body: hostInterface('node-b') });
  await admin.createClusterCustomObject({ ...POOLS, body: pool('node-a') });
  // node-b's pool carries node-a's label: the label is the writer's to change, spec.hostName is what counts.
  await admin.createClusterCustomObject({ ...POOLS, body: pool('node-b', 'node-a') });
  // The policy is enforced once the API server has loaded it: poll a known-bad request (a dry run, nothing stored).
  await eventually(async () => {
    const r = await refusal(
      client('a').createClusterCustomObject({ ...HI, body: hostInterface('node-c'), dryRun: 'All' }),
    );
    if (r.code !== 403 || !r.message.includes(POLICY)) throw new Error(`not enforced yet: ${r.code} ${r.message}`);
  }, 60_000);
}, 180_000);

afterAll(async () => {
  await env?.stop();
}, 60_000);

describe('the API server binds pod tokens to their node', () => {
  it('a token bound to a pod on node-a carries the node name in userInfo.extra, next to the pod', () => {
    process.stdout.write(`SelfSubjectReview, token bound to pod agent-a on node-a: ${JSON.stringify(observed['a'])}\n`);
    expect(observed['a']?.username).toBe(`system:serviceaccount:${NAMESPACE}:${AGENT_SA}`);
    expect(observed['a']?.extra?.[NODE_NAME_EXTRA]).toEqual(['node-a']);
    expect(observed['a']?.extra?.['authentication.kubernetes.io/pod-name']).toEqual(['agent-a']);
  });

  it.each([
    { token: 'unscheduled', what: 'bound to a pod that is not on a node' },
    { token: 'unbound', what: 'bound to no object' },
  ])('a token $what has no node name', ({ token }) => {
    expect(observed[token]?.username).toBe(`system:serviceaccount:${NAMESPACE}:${AGENT_SA}`);
    expect(observed[token]?.extra?.[NODE_NAME_EXTRA]).toBeUndefined();
  });
});

describe('the policy as loaded by the API server', () => {
  it('type-checks against the CRDs without warnings', async () => {
    const api = started().kubeConfig.makeApiClient(AdmissionregistrationV1Api);
    const policy = await eventually(async () => {
      const p = await api.readValidatingAdmissionPolicy({ name: POLICY });
      if (p.status?.observedGeneration !== p.metadata?.generation)
        throw new Error('the policy is not type-checked yet');
      return p;
    });
    expect(policy.status?.typeChecking?.expressionWarnings ?? []).toEqual([]);
  });
});

describe("an agent writes its own node's objects", () => {
  it('creates and patches its HostInterface, and patches its status', async () => {
    const api = client('a');
    const created = (await api.createClusterCustomObject({ ...HI, body: hostInterface('node-a') })) as {
      metadata: { name: string };
    };
    expect(created.metadata.name).toBe('node-a');
    const patched = (await api.patchClusterCustomObject(
      {
        ...HI,
        name: 'node-a',
        body: { spec: { interfaces: [{ interfaceName: 'eth2', netAddress: '', hostIP: '' }] } },
      },
      mergePatch,
    )) as { spec: { interfaces: { interfaceName: string }[] } };
    expect(patched.spec.interfaces.map((n) => n.interfaceName)).toEqual(['eth2']);
    const status = (await api.patchClusterCustomObjectStatus(
      { ...HI, name: 'node-a', body: { status: { routes: [{ network: 'nr-net', status: 'Success' }] } } },
      mergePatch,
    )) as { status: { routes: unknown[] } };
    expect(status.status.routes).toHaveLength(1);
  });

  it('writes the status of an IPPool whose spec.hostName is its node', async () => {
    const admin = started().kubeConfig.makeApiClient(CustomObjectsApi);
    const updated = (await writePoolStatus(client('a'), 'nr-net-node-a-eth1', admin)) as {
      status: { allocations: unknown[] };
    };
    expect(updated.status.allocations).toEqual([allocation]);
  });

  it("node-b's agent writes node-b's pool, which node-a's may not", async () => {
    const admin = started().kubeConfig.makeApiClient(CustomObjectsApi);
    const updated = (await writePoolStatus(client('b'), 'nr-net-node-b-eth1', admin)) as {
      status: { allocations: unknown[] };
    };
    expect(updated.status.allocations).toEqual([allocation]);
  });
});

describe("an agent is refused another node's objects, with both nodes named", () => {
  const other = (kind: string, name: string): RegExp =>
    new RegExp(
      `${POLICY}.*the agent on node node-a may write only its own node's objects, not ${kind} ${name} of node node-b`,
    );

  it.each([
    {
      what: 'create HostInterface node-b',
      name: 'node-b',
      kind: 'HostInterface',
      call: (api: CustomObjectsApi) =>
        api.createClusterCustomObject({ ...HI, body: hostInterface('node-b'), dryRun: 'All' }),
    },
    {
      what: 'patch HostInterface node-b',
      name: 'node-b',
      kind: 'HostInterface',
      call: (api: CustomObjectsApi) =>
        api.patchClusterCustomObject({ ...HI, name: 'node-b', body: { spec: { interfaces: [] } } }, mergePatch),
    },
    {
      what: 'patch the status of HostInterface node-b',
      name: 'node-b',
      kind: 'HostInterface',
      call: (api: CustomObjectsApi) =>
        api.patchClusterCustomObjectStatus({ ...HI, name: 'node-b', body: { status: { routes: [] } } }, mergePatch),
    },
    {
      what: "write the status of node-b's IPPool (labelled multinic.dev/host=node-a)",
      name: 'nr-net-node-b-eth1',
      kind: 'IPPool',
      call: (api: CustomObjectsApi) =>
        writePoolStatus(api, 'nr-net-node-b-eth1', started().kubeConfig.makeApiClient(CustomObjectsApi)),
    },
  ])('$what: 403', async ({ call, kind, name }) => {
    const r = await refusal(call(client('a')));
    expect(r.code).toBe(403);
    expect(r.message).toMatch(other(kind, name));
  });

  it('the refused writes changed nothing', async () => {
    const admin = started().kubeConfig.makeApiClient(CustomObjectsApi);
    const hi = (await admin.getClusterCustomObject({ ...HI, name: 'node-b' })) as {
      spec: { interfaces: unknown[] };
      status?: unknown;
    };
    expect(hi.spec.interfaces).toHaveLength(1);
    expect(hi.status).toBeUndefined();
  });

  it('a HostInterface whose spec.hostName disagrees with its name is refused by the CRD rule as well', async () => {
    // Defence in depth: the policy looks at the name, the CRD's CEL rule ties spec.hostName to it.
    const r = await refusal(
      client('a').patchClusterCustomObject(
        { ...HI, name: 'node-a', body: { spec: { hostName: 'node-b' } } },
        mergePatch,
      ),
    );
    expect(r.code).toBe(422);
    expect(r.message).toContain('spec.hostName must equal metadata.name');
  });
});

describe('a token of the agent not bound to a pod on a node is refused for every write', () => {
  it.each([
    { token: 'unbound' as const, what: 'unbound token' },
    { token: 'unscheduled' as const, what: 'token of an unscheduled pod' },
  ])('$what: no HostInterface, no IPPool status, even for node-a; reads still work', async ({ token }) => {
    const api = client(token);
    const admin = started().kubeConfig.makeApiClient(CustomObjectsApi);
    const pattern = new RegExp(
      `${POLICY}.*not bound to a pod on a node.*must use a pod-bound projected ServiceAccount token`,
    );
    for (const call of [
      () => api.createClusterCustomObject({ ...HI, body: hostInterface('node-c'), dryRun: 'All' }),
      () => api.patchClusterCustomObject({ ...HI, name: 'node-a', body: { spec: { interfaces: [] } } }, mergePatch),
      () => writePoolStatus(api, 'nr-net-node-a-eth1', admin),
    ]) {
      const r = await refusal(call());
      expect(r.code).toBe(403);
      expect(r.message).toMatch(pattern);
    }
    const list = (await api.listClusterCustomObject(POOLS)) as { items: unknown[] };
    expect(list.items).toHaveLength(2);
  });
});

describe('other writers are not matched', () => {
  it("the admin writes any node's objects", async () => {
    const admin = started().kubeConfig.makeApiClient(CustomObjectsApi);
    await expect(
      admin.patchClusterCustomObject({ ...HI, name: 'node-b', body: { spec: { interfaces: [] } } }, mergePatch),
    ).resolves.toMatchObject({ metadata: { name: 'node-b' } });
  });
});

describe('the values switch', () => {
  it('agent.nodeRestriction.enabled=false renders neither the policy nor its binding', async () => {
    const on = parseManifests(await renderChart({ showOnly: ['templates/agent-node-restriction.yaml'] })).map(
      (m) => m.kind,
    );
    expect(on).toEqual(['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
    const off = await renderChart({ values: { agent: { nodeRestriction: { enabled: false } } } });
    expect(parseManifests(off).filter((m) => m.kind.startsWith('ValidatingAdmissionPolicy'))).toEqual([]);
  });

  it("the policy matches the agent's ServiceAccount under a custom name and namespace", async () => {
    const text = await renderChart({
      release: 'x',
      namespace: 'net',
      values: { agent: { serviceAccount: { name: 'nic-agent' } } },
      showOnly: ['templates/agent-node-restriction.yaml'],
    });
    expect(text).toContain("request.userInfo.username == 'system:serviceaccount:net:nic-agent'");
  });
});
