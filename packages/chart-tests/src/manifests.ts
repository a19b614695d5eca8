// Multi-document YAML as rendered by helm → objects.
import { parseAllDocuments } from 'yaml';

export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly [key: string]: unknown;
}

/** Every non-empty document; throws on YAML errors and on documents that are not Kubernetes objects. */
export function parseManifests(text: string): Manifest[] {
  const out: Manifest[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0)
      throw new Error(`invalid YAML in the rendered chart: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const obj = value as Partial<Manifest>;
    if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string' || typeof obj.metadata?.name !== 'string') {
      throw new Error(
        `a rendered document is not a Kubernetes object (apiVersion, kind and metadata.name are required): ${JSON.stringify(value).slice(0, 200)}`,
      );
    }
    out.push(obj as Manifest);
  }
  return out;
}

/** `Kind/namespace/name` (or `Kind/name` for cluster-scoped objects). */
export function manifestKey(m: Manifest): string {
  return m.metadata.namespace === undefined
    ? `${m.kind}/${m.metadata.name}`
    : `${m.kind}/${m.metadata.namespace}/${m.metadata.name}`;
}
