import { writeFileSync } from 'node:fs';
import { KubeConfig, dumpYaml } from '@kubernetes/client-node';

/** One cluster, one token user, one context. */
export interface KubeconfigSpec {
  readonly server: string;
  readonly caPem: string;
  readonly user: string;
  readonly token: string;
}

/** A client-node KubeConfig for `spec` (context and cluster named `testenv`). */
export function makeKubeConfig(spec: KubeconfigSpec): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'testenv',
        server: spec.server,
        caData: Buffer.from(spec.caPem).toString('base64'),
        skipTLSVerify: false,
      },
    ],
    users: [{ name: spec.user, token: spec.token }],
    contexts: [{ name: 'testenv', cluster: 'testenv', user: spec.user }],
    currentContext: 'testenv',
  });
  return kc;
}

/** Write `kc` as a kubeconfig file (YAML, mode 0600) that kubectl, helm and Multus read. */
export function writeKubeconfig(kc: KubeConfig, file: string): void {
  const doc: unknown = JSON.parse(kc.exportConfig());
  writeFileSync(file, dumpYaml(doc), { mode: 0o600 });
}
