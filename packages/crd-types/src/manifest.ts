// One entry point for "is this any of our manifests, and is it valid?" (used by `multinic validate`).
import type { z } from 'zod';
import { GROUP_VERSION, NAD_API_VERSION } from './names.js';
import { MultiNicNetworkSchema } from './multinicnetwork.js';
import { NetworkAttachmentDefinitionSchema } from './multus.js';
import type { ParseResult } from './problems.js';
import { parseWith } from './problems.js';
import { CidrSchema, HostInterfaceSchema, IPPoolSchema, NicClassSchema } from './resources.js';
import type { Cidr, HostInterface, IPPool, NicClass } from './resources.js';
import type { MultiNicNetwork } from './multinicnetwork.js';
import type { NetworkAttachmentDefinition } from './multus.js';

export type Manifest = MultiNicNetwork | HostInterface | Cidr | IPPool | NicClass | NetworkAttachmentDefinition;

/** Schema per `apiVersion` + `kind`. */
export const MANIFEST_SCHEMAS: Readonly<Record<string, z.ZodType<Manifest>>> = {
  [`${GROUP_VERSION}/MultiNicNetwork`]: MultiNicNetworkSchema,
  [`${GROUP_VERSION}/HostInterface`]: HostInterfaceSchema,
  [`${GROUP_VERSION}/CIDR`]: CidrSchema,
  [`${GROUP_VERSION}/IPPool`]: IPPoolSchema,
  [`${GROUP_VERSION}/NicClass`]: NicClassSchema,
  [`${NAD_API_VERSION}/NetworkAttachmentDefinition`]: NetworkAttachmentDefinitionSchema,
};

const LEGACY_GROUP = 'multinic.fms.io/';

/** Validates any manifest of ours by its `apiVersion` and `kind`; problems name the field. */
export function parseManifest(doc: unknown): ParseResult<Manifest> {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return {
      ok: false,
      problems: [{ path: '', message: 'must be a Kubernetes object with apiVersion, kind, metadata and spec' }],
    };
  }
  const { apiVersion, kind } = doc as { apiVersion?: unknown; kind?: unknown };
  if (typeof apiVersion !== 'string') return { ok: false, problems: [{ path: 'apiVersion', message: 'is required' }] };
  if (typeof kind !== 'string') return { ok: false, problems: [{ path: 'kind', message: 'is required' }] };
  const schema = MANIFEST_SCHEMAS[`${apiVersion}/${kind}`];
  if (schema !== undefined) return parseWith(schema, doc);
  if (apiVersion.startsWith(LEGACY_GROUP)) {
    return {
      ok: false,
      problems: [
        {
          path: 'apiVersion',
          message: `${apiVersion} is multi-nic-cni's API: change it to ${GROUP_VERSION} (or run \`multinic migrate\`)`,
        },
      ],
    };
  }
  const known = Object.keys(MANIFEST_SCHEMAS).map((k) => k.slice(k.lastIndexOf('/') + 1));
  return {
    ok: false,
    problems: [
      { path: 'kind', message: `${apiVersion} ${kind} is not a multinic manifest (known kinds: ${known.join(', ')})` },
    ],
  };
}
