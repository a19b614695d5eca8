import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import {
  API_GROUP,
  API_VERSION,
  MultiNicNetworkSchema,
  formatPath,
  formatProblem,
  parseWith,
} from '@multinic/crd-types';
import { EXIT, InputError, loadDocuments, where, type CliIO, type SourceDocument } from '../io.js';
import { LEGACY_API_GROUP, indent } from '../parse-document.js';

/** Metadata that belongs to the old object's life in its cluster, not to its definition. */
const SERVER_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink'];

/** `multinic migrate -f old.yaml`: multi-nic-cni MultiNicNetwork manifests → multinic.dev/v1, reporting what is not carried over. */
export async function migrateCommand(io: CliIO, args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      file: { type: 'string', short: 'f', multiple: true },
      output: { type: 'string', short: 'o', default: 'yaml' },
    },
    strict: true,
  });
  const files = values.file ?? [];
  if (files.length === 0)
    throw new InputError('-f FILE is required: the multi-nic-cni MultiNicNetwork manifest to migrate');
  if (values.output !== 'yaml' && values.output !== 'json')
    throw new InputError(`-o must be yaml or json, not "${values.output}"`);
  const migrated: unknown[] = [];
  for (const file of files) {
    const docs = await loadDocuments(io, file);
    for (const doc of docs) migrated.push(migrateDocument(io, doc, docs.length));
  }
  io.out(
    values.output === 'json'
      ? `${JSON.stringify(migrated.length === 1 ? migrated[0] : migrated, null, 2)}\n`
      : migrated.map((m) => stringify(m)).join('---\n'),
  );
  return EXIT.ok;
}

function migrateDocument(io: CliIO, doc: SourceDocument, total: number): unknown {
  const place = where(doc, total);
  const value = doc.value as {
    apiVersion?: unknown;
    kind?: unknown;
    metadata?: Record<string, unknown>;
    spec?: unknown;
    status?: unknown;
  };
  if (value.kind !== 'MultiNicNetwork') {
    throw new InputError(
      `${place}: kind is ${JSON.stringify(value.kind)}; migrate converts MultiNicNetwork manifests only`,
    );
  }
  const group = typeof value.apiVersion === 'string' ? value.apiVersion.split('/')[0] : undefined;
  if (group !== LEGACY_API_GROUP && group !== API_GROUP) {
    throw new InputError(
      `${place}: apiVersion ${JSON.stringify(value.apiVersion)} is neither ${LEGACY_API_GROUP}/v1 (multi-nic-cni) nor ${API_GROUP}/${API_VERSION}`,
    );
  }
  const metadata = { ...(value.metadata ?? {}) };
  for (const key of SERVER_METADATA) {
    if (key in metadata) {
      delete metadata[key];
      io.err(`${place}: metadata.${key} not carried over: the API server sets it\n`);
    }
  }
  if (value.status !== undefined) io.err(`${place}: status not carried over: the controller recomputes it\n`);
  const candidate = structuredClone({
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: 'MultiNicNetwork',
    metadata,
    spec: withIpamObject(value.spec, place),
  });
  for (const path of removeUnknownFields(candidate))
    io.err(`${place}: ${path} not carried over: ${API_GROUP}/${API_VERSION} has no such field\n`);
  const parsed = parseWith(MultiNicNetworkSchema, candidate);
  if (!parsed.ok)
    throw new InputError(
      `${place}: cannot be migrated, fix these first:\n${indent(parsed.problems.map(formatProblem))}`,
    );
  return parsed.value;
}

/** multi-nic-cni keeps `ipam` as a JSON string; v1 keeps an object, so unknown keys inside it can be reported too. */
function withIpamObject(spec: unknown, place: string): unknown {
  if (typeof spec !== 'object' || spec === null) return spec;
  const ipam = (spec as { ipam?: unknown }).ipam;
  if (typeof ipam !== 'string') return spec;
  try {
    return { ...spec, ipam: JSON.parse(ipam) as unknown };
  } catch (cause) {
    throw new InputError(
      `${place}: spec.ipam is a string but not valid JSON (${(cause as Error).message}); fix the JSON or write ipam as a YAML object`,
      { cause },
    );
  }
}

/** Deletes the fields the v1 schema does not know (in place) and returns their paths, for the report. */
function removeUnknownFields(candidate: object): string[] {
  const result = MultiNicNetworkSchema.safeParse(candidate);
  if (result.success) return [];
  const removed: string[] = [];
  for (const issue of result.error.issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const owner = issue.path.reduce<unknown>(
      (node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key],
      candidate,
    );
    for (const key of issue.keys) {
      delete (owner as Record<string, unknown>)[key];
      removed.push(formatPath([...issue.path, key]));
    }
  }
  return removed;
}
