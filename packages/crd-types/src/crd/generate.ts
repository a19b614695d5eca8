// CustomResourceDefinitions generated from the zod schemas (pure: objects in, objects out; no files).
import { z } from 'zod';
import { API_GROUP, API_VERSION } from '../names.js';
import { MultiNicNetworkSchema } from '../multinicnetwork.js';
import { CidrSchema, HostInterfaceSchema, IPPoolSchema, NicClassSchema } from '../resources.js';
import { toStructuralSchema } from './structural.js';
import type { JsonObject } from './structural.js';

export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description?: string;
  readonly priority?: number;
}

export interface CrdDefinition {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly description: string;
  readonly schema: z.ZodType;
  readonly printerColumns: readonly PrinterColumn[];
}

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const READY: PrinterColumn = {
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
};

/** Every CRD of the `multinic.dev` group. */
export const CRD_DEFINITIONS: readonly CrdDefinition[] = [
  {
    kind: 'MultiNicNetwork',
    plural: 'multinicnetworks',
    singular: 'multinicnetwork',
    shortNames: ['mnn', 'multinicnet'],
    description: 'A secondary network that gives pods one interface per selected host NIC, from one definition.',
    schema: MultiNicNetworkSchema,
    printerColumns: [
      { name: 'Subnet', type: 'string', jsonPath: '.spec.subnet' },
      { name: 'Plugin', type: 'string', jsonPath: '.spec.plugin.type' },
      READY,
      { name: 'Routes', type: 'string', jsonPath: '.status.routes.status' },
      { name: 'Strategy', type: 'string', jsonPath: '.spec.attachPolicy.strategy', priority: 1 },
      AGE,
    ],
  },
  {
    kind: 'HostInterface',
    plural: 'hostinterfaces',
    singular: 'hostinterface',
    shortNames: ['hif'],
    description: "A node's secondary NICs as discovered by the multinic node agent (name = node name).",
    schema: HostInterfaceSchema,
    printerColumns: [{ name: 'Host', type: 'string', jsonPath: '.spec.hostName' }, AGE],
  },
  {
    kind: 'CIDR',
    plural: 'cidrs',
    singular: 'cidr',
    shortNames: ['mncidr'],
    description: 'The address plan of one MultiNicNetwork (name = network name), written by the controller.',
    schema: CidrSchema,
    printerColumns: [
      { name: 'Subnet', type: 'string', jsonPath: '.spec.config.subnet' },
      { name: 'InterfaceBlock', type: 'integer', jsonPath: '.spec.config.interfaceBlock' },
      { name: 'HostBlock', type: 'integer', jsonPath: '.spec.config.hostBlock' },
      AGE,
    ],
  },
  {
    kind: 'IPPool',
    plural: 'ippools',
    singular: 'ippool',
    shortNames: ['mnpool'],
    description:
      'The pod addresses of one (network, node, interface): spec by the controller, allocations by the node agent.',
    schema: IPPoolSchema,
    printerColumns: [
      { name: 'Network', type: 'string', jsonPath: '.spec.network' },
      { name: 'Host', type: 'string', jsonPath: '.spec.hostName' },
      { name: 'Interface', type: 'string', jsonPath: '.spec.interfaceName' },
      { name: 'PodCIDR', type: 'string', jsonPath: '.spec.podCIDR' },
      AGE,
    ],
  },
  {
    kind: 'NicClass',
    plural: 'nicclasses',
    singular: 'nicclass',
    shortNames: ['nicc'],
    description: 'A named PCI vendor/product filter that attach policies can refer to.',
    schema: NicClassSchema,
    printerColumns: [{ name: 'Vendor', type: 'string', jsonPath: '.spec.vendor' }, AGE],
  },
];

export interface CustomResourceDefinition {
  readonly apiVersion: 'apiextensions.k8s.io/v1';
  readonly kind: 'CustomResourceDefinition';
  readonly metadata: { readonly name: string; readonly labels: Readonly<Record<string, string>> };
  readonly spec: JsonObject;
}

function rootSchema(definition: CrdDefinition): { schema: JsonObject; problems: readonly string[] } {
  const json = z.toJSONSchema(definition.schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'any',
  }) as JsonObject;
  const props = (json['properties'] ?? {}) as Record<string, JsonObject>;
  const problems: string[] = [];
  const properties: JsonObject = {
    apiVersion: { type: 'string', description: 'multinic.dev/v1' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
  };
  for (const part of ['spec', 'status'] as const) {
    const node = props[part];
    if (node === undefined) continue;
    const converted = toStructuralSchema(node, part);
    properties[part] = converted.schema;
    problems.push(...converted.problems);
  }
  const schema: JsonObject = { type: 'object', description: definition.description, properties, required: ['spec'] };
  if (Array.isArray(json['x-kubernetes-validations']))
    schema['x-kubernetes-validations'] = json['x-kubernetes-validations'];
  return { schema, problems };
}

/** One CRD object for `definition`, and any reason its schema is not structural. */
export function generateCrd(definition: CrdDefinition): { crd: CustomResourceDefinition; problems: readonly string[] } {
  const { schema, problems } = rootSchema(definition);
  const hasStatus = (schema['properties'] as JsonObject)['status'] !== undefined;
  const version: JsonObject = {
    name: API_VERSION,
    served: true,
    storage: true,
    ...(hasStatus ? { subresources: { status: {} } } : {}),
    additionalPrinterColumns: definition.printerColumns.map((c) => ({ ...c })),
    schema: { openAPIV3Schema: schema },
  };
  const crd: CustomResourceDefinition = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${definition.plural}.${API_GROUP}`, labels: { 'app.kubernetes.io/part-of': 'multinic' } },
    spec: {
      group: API_GROUP,
      scope: 'Cluster',
      names: {
        kind: definition.kind,
        listKind: `${definition.kind}List`,
        plural: definition.plural,
        singular: definition.singular,
        shortNames: [...definition.shortNames],
        categories: ['multinic'],
      },
      versions: [version],
    },
  };
  return { crd, problems: problems.map((p) => `${definition.kind}: ${p}`) };
}

/** All CRDs of the group, in a stable order. */
export function generateCrds(): { crds: CustomResourceDefinition[]; problems: string[] } {
  const results = CRD_DEFINITIONS.map(generateCrd);
  return { crds: results.map((r) => r.crd), problems: results.flatMap((r) => [...r.problems]) };
}

/** `charts/multinic/crds/<plural>.multinic.dev.yaml` relative path for a CRD. */
export function crdFileName(crd: CustomResourceDefinition): string {
  return `${crd.metadata.name}.yaml`;
}

export const CRD_FILE_HEADER = '# Generated from @multinic/crd-types by `node scripts/gen-crds.ts`. Do not edit.\n';

/**
 * The files to write: name → YAML text. The YAML serialiser is passed in (the `yaml` package's `stringify`), so this
 * stays free of I/O and of a runtime dependency; the generator script and the drift test use the same function.
 */
export function renderCrdFiles(
  stringify: (value: unknown, options: { lineWidth: number; sortMapEntries: boolean }) => string,
): { files: Map<string, string>; problems: string[] } {
  const { crds, problems } = generateCrds();
  const files = new Map<string, string>();
  for (const crd of crds)
    files.set(crdFileName(crd), CRD_FILE_HEADER + stringify(crd, { lineWidth: 0, sortMapEntries: false }));
  return { files, problems };
}
