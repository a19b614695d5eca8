// Kubernetes object envelope shared by every resource of the API group.
import { z } from 'zod';
import { dnsSubdomainField, intField, listField } from './fields.js';
import { GROUP_VERSION } from './names.js';

/** The parts of `metadata` our components read; everything else is kept as is. */
export const ObjectMetaSchema = z.looseObject({
  name: dnsSubdomainField('metadata.name'),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ObjectMeta = z.output<typeof ObjectMetaSchema>;

export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;

/** `metav1.Condition`. */
export const ConditionSchema = z.strictObject({
  type: z
    .string()
    .min(1)
    .max(316)
    .regex(
      /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/,
      {
        error: 'must be a condition type such as Ready',
      },
    ),
  status: z.enum(CONDITION_STATUSES, { error: 'must be "True", "False" or "Unknown"' }),
  observedGeneration: intField({ min: 0, max: Number.MAX_SAFE_INTEGER }).optional(),
  lastTransitionTime: z
    .string()
    .max(64)
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, {
      error: 'must be an RFC 3339 time such as 2025-01-31T12:00:00Z',
    }),
  reason: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/, { error: 'must be a CamelCase reason such as PlanComputed' }),
  message: z.string().max(32768),
});
export type Condition = z.output<typeof ConditionSchema>;

export const conditionsField = () =>
  listField(ConditionSchema, { max: 16, what: 'conditions' }).meta({
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  });

/** The `apiVersion`, `kind` and `metadata` fields of a resource of `kind`. */
export function envelope<K extends string, A extends string = typeof GROUP_VERSION>(kind: K, apiVersion?: A) {
  const version = (apiVersion ?? GROUP_VERSION) as A;
  return {
    apiVersion: z.literal(version, { error: `must be "${version}"` }),
    kind: z.literal(kind, { error: `must be "${kind}"` }),
    metadata: ObjectMetaSchema,
  };
}
