import { describe, expect, it } from '@jest/globals';
import { apiServerArgs, controllerManagerArgs, etcdArgs } from './components.js';

const apiServer = apiServerArgs({
  etcdUrl: 'http://127.0.0.1:2379',
  port: 6443,
  certDir: '/w/certs',
  saPublicKeyFile: '/w/sa.pub',
  saPrivateKeyFile: '/w/sa.key',
  tokenAuthFile: '/w/tokens.csv',
  extraArgs: ['--v=2'],
});

describe('kube-apiserver flags', () => {
  it.each([
    { flag: '--bind-address=127.0.0.1', why: 'loopback only' },
    { flag: '--advertise-address=127.0.0.1', why: 'not the default route address' },
    { flag: '--endpoint-reconciler-type=none', why: 'Endpoints reject loopback addresses' },
    { flag: '--secure-port=6443', why: 'the chosen free port' },
    { flag: '--etcd-servers=http://127.0.0.1:2379', why: 'our etcd' },
    { flag: '--service-account-key-file=/w/sa.pub', why: 'verifies SA tokens' },
    { flag: '--service-account-signing-key-file=/w/sa.key', why: 'signs SA tokens' },
    { flag: '--token-auth-file=/w/tokens.csv', why: 'admin and SA tokens' },
    { flag: '--authorization-mode=Node,RBAC', why: 'RBAC is tested for real' },
    { flag: '--disable-admission-plugins=ServiceAccount,TaintNodesByCondition', why: 'no default SAs exist' },
    { flag: '--allow-privileged=true', why: 'privileged pod specs' },
  ])('has $flag ($why)', ({ flag }) => {
    expect(apiServer).toContain(flag);
  });

  it('puts extra flags last so they win', () => {
    expect(apiServer.at(-1)).toBe('--v=2');
  });

  it('binds nothing to a non-loopback address', () => {
    const addresses = apiServer.join(' ').match(/\b\d+\.\d+\.\d+\.\d+\b/g) ?? [];
    expect(addresses.filter((a) => !a.startsWith('127.') && a !== '10.0.0.0')).toEqual([]);
  });
});

describe('etcd and kube-controller-manager flags', () => {
  it('etcd listens on loopback only and skips fsync', () => {
    const args = etcdArgs({ dataDir: '/w/etcd', clientPort: 1, peerPort: 2 });
    expect(args).toContain('--unsafe-no-fsync');
    expect(args.filter((a) => a.includes('://')).every((a) => a.includes('http://127.0.0.1:'))).toBe(true);
  });

  it('kube-controller-manager runs only the garbage collector and namespace controllers, without leader election', () => {
    const args = controllerManagerArgs({ kubeconfig: '/w/kubeconfig', port: 3 });
    expect(args).toContain('--controllers=garbage-collector-controller,namespace-controller');
    expect(args).toContain('--leader-elect=false');
    expect(args).toContain('--bind-address=127.0.0.1');
  });
});
