import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiException,
  ApiextensionsV1Api,
  CustomObjectsApi,
  loadAllYaml,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { TestEnvError } from './errors.js';

const YAML_FILE = /\.(ya?ml|json)$/;

/** The YAML/JSON files named by `paths`: files as given, directories expanded to their files (sorted). */
export function crdFiles(paths: readonly string[]): string[] {
  return paths.flatMap((p) => {
    if (!statSync(p).isDirectory()) return [p];
    return readdirSync(p)
      .filter((f) => YAML_FILE.test(f))
      .sort()
      .map((f) => path.join(p, f));
  });
}

/** Every CustomResourceDefinition in `files`; any other document is an error naming its file. */
export function loadCrds(files: readonly string[]): V1CustomResourceDefinition[] {
  return files.flatMap((file) => {
    let docs: unknown[];
    try {
      docs = loadAllYaml(readFileSync(file, 'utf8')).filter((d: unknown) => d !== null && d !== undefined);
    } catch (err) {
      throw new TestEnvError('CRD_INVALID', `testenv: ${file}: not valid YAML: ${String(err)}`, { cause: err });
    }
    return docs.map((doc) => asCrd(doc, file));
  });
}

function asCrd(doc: unknown, file: string): V1CustomResourceDefinition {
  const d = doc as Partial<V1CustomResourceDefinition>;
  if (d.kind !== 'CustomResourceDefinition' || d.apiVersion !== 'apiextensions.k8s.io/v1' || !d.metadata?.name) {
    throw new TestEnvError(
      'CRD_INVALID',
      `testenv: ${file}: expected apiextensions.k8s.io/v1 CustomResourceDefinition documents with a metadata.name, ` +
        `found kind ${String(d.kind)}`,
    );
  }
  return d as V1CustomResourceDefinition;
}

async function createOrReplace(api: ApiextensionsV1Api, crd: V1CustomResourceDefinition): Promise<void> {
  try {
    await api.createCustomResourceDefinition({ body: crd });
  } catch (err) {
    if (!(err instanceof ApiException) || err.code !== 409) throw err;
    const name = crd.metadata?.name ?? '';
    const current = await api.readCustomResourceDefinition({ name });
    const body: V1CustomResourceDefinition = { ...crd, metadata: { ...crd.metadata } };
    if (body.metadata && current.metadata?.resourceVersion) body.metadata.resourceVersion = current.metadata.resourceVersion;
    await api.replaceCustomResourceDefinition({ name, body });
  }
}

function isEstablished(crd: V1CustomResourceDefinition): boolean {
  const conditions = crd.status?.conditions ?? [];
  const ok = (type: string): boolean => conditions.some((c) => c.type === type && c.status === 'True');
  return ok('Established') && ok('NamesAccepted');
}

/** Poll until the CRD is Established and its resource answers a list (discovery has caught up). */
async function waitServed(kc: KubeConfig, crd: V1CustomResourceDefinition, deadline: number): Promise<void> {
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const objects = kc.makeApiClient(CustomObjectsApi);
  const name = crd.metadata?.name ?? '';
  const version = crd.spec.versions.find((v) => v.served)?.name ?? '';
  let last: unknown = 'not established';
  while (Date.now() < deadline) {
    try {
      if (isEstablished(await ext.readCustomResourceDefinition({ name }))) {
        await objects.listClusterCustomObject({ group: crd.spec.group, version, plural: crd.spec.names.plural, limit: 1 });
        return;
      }
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new TestEnvError('TIMEOUT', `testenv: CRD ${name} was not established in time (last: ${String(last)})`);
}

/** Create (or replace) every CRD in `files` and wait until each is established and served. Returns their names. */
export async function installCrds(kc: KubeConfig, files: readonly string[], timeoutMs = 30_000): Promise<string[]> {
  const crds = loadCrds(files);
  const api = kc.makeApiClient(ApiextensionsV1Api);
  await Promise.all(crds.map((crd) => createOrReplace(api, crd)));
  const deadline = Date.now() + timeoutMs;
  await Promise.all(crds.map((crd) => waitServed(kc, crd, deadline)));
  return crds.map((crd) => crd.metadata?.name ?? '');
}
