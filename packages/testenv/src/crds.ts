import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { TestEnvError } from './errors.js';
import { kubeRequest } from './http.js';

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

/** A CRD manifest as parsed (raw keys such as `x-kubernetes-validations` kept) and the file it came from. */
export interface CrdSource {
  readonly crd: V1CustomResourceDefinition;
  readonly file: string;
}

/** Every CustomResourceDefinition in `files`; any other document is an error naming its file. */
export function loadCrds(files: readonly string[]): CrdSource[] {
  return files.flatMap((file) => {
    const docs = parseAllDocuments(readFileSync(file, 'utf8'));
    const broken = docs.flatMap((d) => d.errors);
    if (broken.length > 0) {
      throw new TestEnvError(
        'CRD_INVALID',
        `testenv: ${file}: not valid YAML: ${broken.map((e) => e.message).join('; ')}`,
      );
    }
    return docs
      .map((d): unknown => d.toJS())
      .filter((d) => d !== null && d !== undefined) // empty documents (a trailing ---)
      .map((doc) => ({ crd: asCrd(doc, file), file }));
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

const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

function statusMessage(body: string): string {
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    return body;
  }
}

/** Create the CRD, or replace it when it exists, sending the manifest as it is. */
async function createOrReplace(kc: KubeConfig, { crd, file }: CrdSource): Promise<void> {
  const name = crd.metadata?.name ?? '';
  let res = await kubeRequest(kc, { method: 'POST', path: CRD_PATH, body: crd });
  if (res.status === 409) {
    const current = await kubeRequest(kc, { method: 'GET', path: `${CRD_PATH}/${name}` });
    const { resourceVersion } = (JSON.parse(current.body) as { metadata: { resourceVersion: string } }).metadata;
    const body = { ...crd, metadata: { ...crd.metadata, resourceVersion } };
    res = await kubeRequest(kc, { method: 'PUT', path: `${CRD_PATH}/${name}`, body });
  }
  if (res.status >= 300) {
    throw new TestEnvError(
      'CRD_INVALID',
      `testenv: the API server rejected CRD ${name} from ${file} (HTTP ${res.status}): ${statusMessage(res.body)}`,
    );
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
        await objects.listClusterCustomObject({
          group: crd.spec.group,
          version,
          plural: crd.spec.names.plural,
          limit: 1,
        });
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
  const sources = loadCrds(files);
  await Promise.all(sources.map((source) => createOrReplace(kc, source)));
  const deadline = Date.now() + timeoutMs;
  await Promise.all(sources.map(({ crd }) => waitServed(kc, crd, deadline)));
  return sources.map(({ crd }) => crd.metadata?.name ?? '');
}
