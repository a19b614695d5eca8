// Command lines of the three components. Pure functions of a layout, so they can be read and tested alone.

export interface EtcdLayout {
  readonly dataDir: string;
  readonly clientPort: number;
  readonly peerPort: number;
}

/** etcd on loopback only; `--unsafe-no-fsync` because the data is thrown away (and lives on tmpfs). */
export function etcdArgs(l: EtcdLayout): string[] {
  const client = `http://127.0.0.1:${l.clientPort}`;
  const peer = `http://127.0.0.1:${l.peerPort}`;
  return [
    '--name=testenv',
    `--data-dir=${l.dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=testenv=${peer}`,
    '--unsafe-no-fsync',
    '--log-level=warn',
  ];
}

export interface ApiServerLayout {
  readonly etcdUrl: string;
  readonly port: number;
  readonly certDir: string;
  readonly saPublicKeyFile: string;
  readonly saPrivateKeyFile: string;
  readonly tokenAuthFile: string;
  readonly extraArgs?: readonly string[];
}

/**
 * kube-apiserver on 127.0.0.1 only. `--advertise-address=127.0.0.1` (else it picks the default route's
 * address) and `--endpoint-reconciler-type=none` (Endpoints reject loopback addresses). The ServiceAccount
 * admission plugin is off because no controller creates `default` ServiceAccounts, which it would require.
 */
export function apiServerArgs(l: ApiServerLayout): string[] {
  return [
    `--etcd-servers=${l.etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${l.port}`,
    `--cert-dir=${l.certDir}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${l.saPublicKeyFile}`,
    `--service-account-signing-key-file=${l.saPrivateKeyFile}`,
    `--token-auth-file=${l.tokenAuthFile}`,
    '--authorization-mode=Node,RBAC',
    '--endpoint-reconciler-type=none',
    '--disable-admission-plugins=ServiceAccount,TaintNodesByCondition',
    '--allow-privileged=true',
    '--service-cluster-ip-range=10.0.0.0/24',
    ...(l.extraArgs ?? []),
  ];
}

export interface ControllerManagerLayout {
  readonly kubeconfig: string;
  readonly port: number;
  readonly extraArgs?: readonly string[];
}

/** The controllers whose behaviour tests rely on: ownerReference garbage collection and namespace deletion. */
export const CONTROLLERS = ['garbage-collector-controller', 'namespace-controller'] as const;

/** kube-controller-manager with only CONTROLLERS, no leader election, serving /healthz on 127.0.0.1. */
export function controllerManagerArgs(l: ControllerManagerLayout): string[] {
  return [
    `--kubeconfig=${l.kubeconfig}`,
    `--authentication-kubeconfig=${l.kubeconfig}`,
    `--authorization-kubeconfig=${l.kubeconfig}`,
    `--controllers=${CONTROLLERS.join(',')}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--secure-port=${l.port}`,
    ...(l.extraArgs ?? []),
  ];
}
