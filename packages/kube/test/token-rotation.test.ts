// A rotated service-account token is used from the next request on. Two bound tokens of one ServiceAccount, each
// bound to its own Secret: deleting the Secret revokes its token. The client reads token A from the file its
// kubeconfig names (`token-file`); A is revoked and the file replaced with B (renamed over it, as the kubelet
// does); the same client's next request authenticates with B. Without re-reading the file it would fail with 401.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { dumpYaml } from '@kubernetes/client-node';
import { eventually, makeKubeConfig, startTestEnv, type TestEnv } from '@multinic/testenv';
import { KubeClient, isKubeError, loadKubeConfig } from '../src/index.js';

const NS = 'rotation';
const SA = 'rotator';
const USER = `system:serviceaccount:${NS}:${SA}`;

let env: TestEnv | undefined;
let admin: KubeClient;
let dir: string;

interface Review {
  status: { userInfo: { username: string; extra?: Record<string, string[]> } };
}

function theEnv(): TestEnv {
  if (env === undefined) throw new Error('no testenv');
  return env;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mn-kube-rotation-'));
  env = await startTestEnv({ controllerManager: false });
  admin = new KubeClient(env.kubeConfig);
  await admin.request({
    method: 'POST',
    path: '/api/v1/namespaces',
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
  });
  await admin.request({
    method: 'POST',
    path: `/api/v1/namespaces/${NS}/serviceaccounts`,
    body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: SA } },
  });
});

afterAll(async () => {
  admin?.close();
  await env?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A token of the ServiceAccount bound to a new Secret `name`: deleting the Secret revokes it. */
async function boundToken(name: string): Promise<string> {
  const secret = await admin.request<{ metadata: { uid: string } }>({
    method: 'POST',
    path: `/api/v1/namespaces/${NS}/secrets`,
    body: { apiVersion: 'v1', kind: 'Secret', metadata: { name }, type: 'Opaque' },
  });
  const answer = await admin.request<{ status: { token: string } }>({
    method: 'POST',
    path: `/api/v1/namespaces/${NS}/serviceaccounts/${SA}/token`,
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        expirationSeconds: 3600,
        boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name, uid: secret.metadata.uid },
      },
    },
  });
  return answer.status.token;
}

/** Who the server says the client is (SelfSubjectReview): the user and the token's credential id. */
async function whoAmI(client: KubeClient): Promise<{ user: string; credential: string }> {
  const review = await client.request<Review>({
    method: 'POST',
    path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  });
  const { username, extra } = review.status.userInfo;
  return { user: username, credential: extra?.['authentication.kubernetes.io/credential-id']?.[0] ?? '' };
}

/** Writes the token the way the kubelet rotates a projected token: a new file renamed over the old one. */
function writeToken(file: string, token: string): void {
  writeFileSync(`${file}.tmp`, token, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

it('re-reads a rotated token file: after token A is revoked, the next request authenticates with token B', async () => {
  const e = theEnv();
  const tokenA = await boundToken('token-a');
  const tokenB = await boundToken('token-b');
  const tokenFile = path.join(dir, 'token');
  writeToken(tokenFile, tokenA);
  // A kubeconfig whose user reads its token from a file (relative to the kubeconfig, as kubectl resolves it).
  const kubeconfig = path.join(dir, 'kubeconfig');
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'testenv',
        cluster: { server: e.server, 'certificate-authority-data': Buffer.from(e.caPem).toString('base64') },
      },
    ],
    users: [{ name: 'rotator', user: { 'token-file': 'token' } }],
    contexts: [{ name: 'testenv', context: { cluster: 'testenv', user: 'rotator' } }],
    'current-context': 'testenv',
  };
  writeFileSync(kubeconfig, dumpYaml(doc), { mode: 0o600 });
  const client = new KubeClient(loadKubeConfig({ file: kubeconfig, fallback: 'default' }));
  try {
    const first = await whoAmI(client);
    expect(first.user).toBe(USER);

    // Revoke A: once its Secret is gone, A is refused (a client fixed on A now fails with 401).
    await admin.request({ method: 'DELETE', path: `/api/v1/namespaces/${NS}/secrets/token-a` });
    const fixedOnA = new KubeClient(makeKubeConfig({ server: e.server, caPem: e.caPem, user: 'a', token: tokenA }));
    await eventually(async () => {
      const refused = await whoAmI(fixedOnA).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(isKubeError(refused, 'UNAUTHORIZED')).toBe(true);
    }, 30_000);
    fixedOnA.close();

    writeToken(tokenFile, tokenB);
    const second = await whoAmI(client);
    expect(second.user).toBe(USER);
    expect(second.credential).not.toBe('');
    expect(second.credential).not.toBe(first.credential);
  } finally {
    client.close();
  }
});
