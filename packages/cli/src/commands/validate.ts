import { parseArgs } from 'node:util';
import type { z } from 'zod';
import * as types from '@multinic/crd-types';
import { checkNetworkSpec } from '@multinic/netconf';
import { EXIT, InputError, loadDocuments, where, type CliIO, type SourceDocument } from '../io.js';
import { LEGACY_API_GROUP, indent } from '../parse-document.js';

const NETWORKS_ANNOTATION = 'k8s.v1.cni.cncf.io/networks';

/** The kinds `validate` knows, each with its one schema from crd-types. */
const SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  MultiNicNetwork: types.MultiNicNetworkSchema,
  HostInterface: types.HostInterfaceSchema,
  CIDR: types.CidrSchema,
  IPPool: types.IPPoolSchema,
  NicClass: types.NicClassSchema,
  NetworkAttachmentDefinition: types.NetworkAttachmentDefinitionSchema,
};

/** `multinic validate -f FILE…`: every document checked; a line per document; exit 2 when any is invalid. */
export async function validateCommand(io: CliIO, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { file: { type: 'string', short: 'f', multiple: true } },
    allowPositionals: true,
    strict: true,
  });
  const files = [...(values.file ?? []), ...positionals];
  if (files.length === 0) throw new InputError('-f FILE is required (repeat -f for several files)');
  let invalid = 0;
  for (const file of files) {
    const docs = await loadDocuments(io, file);
    for (const doc of docs) {
      const problems = validateDocument(doc);
      const label = `${where(doc, docs.length)}: ${describe(doc)}`;
      if (problems.length === 0) io.out(`${label}: valid\n`);
      else {
        invalid += 1;
        io.out(`${label}: invalid\n${indent(problems)}\n`);
      }
    }
  }
  return invalid === 0 ? EXIT.ok : EXIT.invalidInput;
}

function describe(doc: SourceDocument): string {
  const value = doc.value as { kind?: unknown; metadata?: { name?: unknown } };
  return `${String(value.kind ?? '(no kind)')} ${String(value.metadata?.name ?? '(no name)')}`;
}

/** The problems of one document, each `field: what is wrong and what to do`. */
export function validateDocument(doc: SourceDocument): string[] {
  const value = doc.value as {
    apiVersion?: unknown;
    kind?: unknown;
    metadata?: { namespace?: unknown; annotations?: Record<string, unknown> };
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return ['expected a Kubernetes manifest (a YAML mapping)'];
  if (typeof value.apiVersion === 'string' && value.apiVersion.startsWith(`${LEGACY_API_GROUP}/`)) {
    return [`apiVersion ${value.apiVersion} is multi-nic-cni's: convert it with \`multinic migrate -f ${doc.file}\``];
  }
  const schema = typeof value.kind === 'string' ? SCHEMAS[value.kind] : undefined;
  const annotation = value.metadata?.annotations?.[NETWORKS_ANNOTATION];
  if (schema === undefined && annotation === undefined) {
    return [
      `kind ${JSON.stringify(value.kind)} is not one multinic validates (${Object.keys(SCHEMAS).join(', ')}, or any object with a ${NETWORKS_ANNOTATION} annotation)`,
    ];
  }
  return [
    ...(schema === undefined ? [] : kindProblems(value, schema)),
    ...(annotation === undefined ? [] : annotationProblems(annotation, value.metadata?.namespace)),
  ];
}

/** A MultiNicNetwork: exactly the controller's check, so what passes here is never marked InvalidSpec; others: the schema. */
function kindProblems(value: { kind?: unknown }, schema: z.ZodType): string[] {
  if (value.kind === 'MultiNicNetwork') {
    const checked = checkNetworkSpec(value);
    return checked.ok ? [] : [...checked.problems];
  }
  const parsed = types.parseWith(schema, value);
  return parsed.ok ? [] : parsed.problems.map(types.formatProblem);
}

function annotationProblems(annotation: unknown, namespace: unknown): string[] {
  const field = `metadata.annotations["${NETWORKS_ANNOTATION}"]`;
  if (typeof annotation !== 'string') return [`${field}: must be a string`];
  const parsed = types.parseNetworksAnnotation(annotation, typeof namespace === 'string' ? namespace : 'default');
  return parsed.ok ? [] : parsed.problems.map((p) => `${field}${p.path ? `: ${p.path}` : ''}: ${p.message}`);
}
