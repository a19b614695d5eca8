import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';

/** A ServiceAccount identity: `system:serviceaccount:<namespace>:<name>`. */
export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

/** One line of kube-apiserver's `--token-auth-file`. */
export interface TokenUser {
  readonly token: string;
  readonly user: string;
  readonly uid: string;
  readonly groups: readonly string[];
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A random bearer token (hex, no characters that need quoting in the CSV). */
export function randomToken(): string {
  return randomBytes(24).toString('hex');
}

/** The cluster admin: a member of `system:masters`, which RBAC always allows. */
export function adminUser(token: string = randomToken()): TokenUser {
  return { token, user: 'testenv-admin', uid: 'testenv-admin', groups: ['system:masters'] };
}

/** The user name and groups the API server gives a ServiceAccount's own tokens. */
export function serviceAccountUser(ref: ServiceAccountRef, token: string = randomToken()): TokenUser {
  if (!DNS1123_LABEL.test(ref.namespace) || ref.namespace.length > 63) {
    throw new Error(`testenv: serviceAccounts: namespace "${ref.namespace}" is not a DNS-1123 label`);
  }
  if (!DNS1123_SUBDOMAIN.test(ref.name) || ref.name.length > 253) {
    throw new Error(`testenv: serviceAccounts: name "${ref.name}" is not a DNS-1123 subdomain`);
  }
  return {
    token,
    user: `system:serviceaccount:${ref.namespace}:${ref.name}`,
    uid: randomUUID(),
    groups: ['system:serviceaccounts', `system:serviceaccounts:${ref.namespace}`],
  };
}

/** The `--token-auth-file` CSV: `token,user,uid,"group1,group2"` per line. */
export function tokenAuthCsv(users: readonly TokenUser[]): string {
  return users.map((u) => `${u.token},${u.user},${u.uid},"${u.groups.join(',')}"\n`).join('');
}

/** An EC P-256 key pair for signing and verifying ServiceAccount tokens (PKCS#8 / SPKI PEM). */
export function serviceAccountKeyPair(): { publicKeyPem: string; privateKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}
