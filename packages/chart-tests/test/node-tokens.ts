// ServiceAccount tokens as a kubelet would get them for a pod: Node and Pod objects (no kubelet runs, the pod stays
// Pending, which the TokenRequest API does not mind) and a token bound to the pod through the TokenRequest API, so
// the API server puts the pod's node into the token (`authentication.kubernetes.io/node-name` in userInfo.extra).
import { ApiException, AuthenticationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { makeKubeConfig, type TestEnv } from '@multinic/testenv';

export interface PodToken {
  /** A client authenticated with the token. */
  readonly kubeConfig: KubeConfig;
  readonly token: string;
}

export interface PodTokenRequest {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly pod: string;
  /** The node the pod is scheduled to (created when missing); undefined leaves the pod unscheduled. */
  readonly node?: string;
}

const ignoreExists = (err: unknown): void => {
  if (!(err instanceof ApiException) || err.code !== 409) throw err;
};

function clientFor(env: TestEnv, user: string, token: string): KubeConfig {
  return makeKubeConfig({ server: env.server, caPem: env.caPem, user, token });
}

/** Namespace and ServiceAccount (the TokenRequest API needs the ServiceAccount object), each created when missing. */
async function ensureServiceAccount(env: TestEnv, namespace: string, name: string): Promise<CoreV1Api> {
  const core = env.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } }).catch(ignoreExists);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } }).catch(ignoreExists);
  return core;
}

/** A token of the ServiceAccount bound to a pod (on `node` when given), as the pod's projected token volume has it. */
export async function podBoundToken(env: TestEnv, r: PodTokenRequest): Promise<PodToken> {
  const core = await ensureServiceAccount(env, r.namespace, r.serviceAccount);
  if (r.node !== undefined) await core.createNode({ body: { metadata: { name: r.node } } }).catch(ignoreExists);
  await core
    .createNamespacedPod({
      namespace: r.namespace,
      body: {
        metadata: { name: r.pod },
        spec: {
          serviceAccountName: r.serviceAccount,
          ...(r.node === undefined ? {} : { nodeName: r.node }),
          containers: [{ name: 'agent', image: 'registry.invalid/multinic-agent:test' }],
        },
      },
    })
    .catch(ignoreExists);
  const pod = await core.readNamespacedPod({ namespace: r.namespace, name: r.pod });
  const res = await core.createNamespacedServiceAccountToken({
    namespace: r.namespace,
    name: r.serviceAccount,
    body: {
      spec: {
        audiences: [],
        expirationSeconds: 3_600,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: r.pod, uid: pod.metadata?.uid ?? '' },
      },
    },
  });
  const token = res.status?.token;
  if (token === undefined)
    throw new Error(`TokenRequest for ${r.namespace}/${r.serviceAccount} bound to pod ${r.pod} returned no token`);
  return { token, kubeConfig: clientFor(env, `${r.serviceAccount}@${r.pod}`, token) };
}

/** A token of the ServiceAccount bound to nothing but its expiry (TokenRequest without boundObjectReference). */
export async function unboundToken(env: TestEnv, namespace: string, serviceAccount: string): Promise<PodToken> {
  const core = await ensureServiceAccount(env, namespace, serviceAccount);
  const res = await core.createNamespacedServiceAccountToken({
    namespace,
    name: serviceAccount,
    body: { spec: { audiences: [], expirationSeconds: 3_600 } },
  });
  const token = res.status?.token;
  if (token === undefined) throw new Error(`TokenRequest for ${namespace}/${serviceAccount} returned no token`);
  return { token, kubeConfig: clientFor(env, `${serviceAccount}@unbound`, token) };
}

export interface ObservedUser {
  readonly username?: string;
  readonly groups?: string[];
  readonly extra?: Record<string, string[]>;
}

/** Who the API server says the client is (SelfSubjectReview): user name, groups and extra, as admission sees them. */
export async function whoAmI(kc: KubeConfig): Promise<ObservedUser> {
  const review = await kc
    .makeApiClient(AuthenticationV1Api)
    .createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
  return review.status?.userInfo ?? {};
}

/** The status code and the API server's message of a refused request (a resolved request is an error here). */
export async function refusal(request: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await request;
  } catch (err) {
    if (err instanceof ApiException) {
      const body = typeof err.body === 'string' ? err.body : JSON.stringify(err.body);
      let message = body;
      try {
        message = (JSON.parse(body) as { message?: string }).message ?? body;
      } catch {
        // not JSON: keep the raw body
      }
      return { code: err.code, message };
    }
    throw err;
  }
  throw new Error('the request was allowed, but a refusal was expected');
}
