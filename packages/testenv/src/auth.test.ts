import { createPublicKey, createPrivateKey, sign, verify } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { adminUser, serviceAccountKeyPair, serviceAccountUser, tokenAuthCsv } from './auth.js';

/** Parse one token-auth CSV line the way the API server does: 4 fields, the last one quoted. */
function parseLine(line: string): string[] {
  const m = /^([^,]+),([^,]+),([^,]+),"([^"]*)"$/.exec(line);
  if (!m) throw new Error(`bad line: ${line}`);
  return m.slice(1);
}

const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/);

describe('token-auth file', () => {
  it('the admin is in system:masters', () => {
    expect(parseLine(tokenAuthCsv([adminUser('t0k')]).trimEnd())).toEqual([
      't0k',
      'testenv-admin',
      'testenv-admin',
      'system:masters',
    ]);
  });

  it('every ServiceAccount line round-trips to its user name and the groups the API server gives SAs', () => {
    fc.assert(
      fc.property(label, label, (namespace, name) => {
        const [token, user, uid, groups] = parseLine(tokenAuthCsv([serviceAccountUser({ namespace, name })]).trimEnd());
        expect(token).toMatch(/^[0-9a-f]{48}$/);
        expect(user).toBe(`system:serviceaccount:${namespace}:${name}`);
        expect(uid).toBeTruthy();
        expect(groups).toBe(`system:serviceaccounts,system:serviceaccounts:${namespace}`);
      }),
    );
  });

  it.each([
    { namespace: 'Upper', name: 'sa', field: 'namespace' },
    { namespace: 'ns', name: 'has,comma', field: 'name' },
    { namespace: 'ns"', name: 'sa', field: 'namespace' },
  ])(
    'rejects $namespace/$name (the $field would break the CSV or is not a valid name)',
    ({ namespace, name, field }) => {
      expect(() => serviceAccountUser({ namespace, name })).toThrow(new RegExp(`serviceAccounts: ${field}`));
    },
  );
});

describe('ServiceAccount signing keys', () => {
  it('are a P-256 pair: what the private key signs, the public key verifies', () => {
    const { publicKeyPem, privateKeyPem } = serviceAccountKeyPair();
    expect(publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const pub = createPublicKey(publicKeyPem);
    expect(pub.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const signature = sign('sha256', Buffer.from('jwt'), createPrivateKey(privateKeyPem));
    expect(verify('sha256', Buffer.from('jwt'), pub, signature)).toBe(true);
  });
});
