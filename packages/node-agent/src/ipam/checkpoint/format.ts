// The on-disk format of the checkpoint: the zod schemas of the snapshot, the log records and the log header, the
// types derived from them, and the names of the files. The records are the store's own (AllocationRecord, PoolSpec):
// a compile-time check below keeps the schemas and the store's types equal.
import { z } from 'zod';
import type { AllocationRecord, PoolSpec } from '../store.js';

const PoolSpecSchema = z.object({
  name: z.string(),
  network: z.string(),
  interfaceName: z.string(),
  podCIDR: z.string(),
  vlanCIDR: z.string(),
  excludes: z.array(z.string()),
  gateway: z.string().optional(),
});

const RecordSchema = z.object({
  pool: z.string(),
  address: z.string(),
  network: z.string(),
  containerID: z.string(),
  ifname: z.string(),
  interfaceName: z.string(),
  podInterface: z.string(),
  podName: z.string(),
  podNamespace: z.string(),
  podUID: z.string(),
  createdAt: z.number(),
});

export const CheckpointSchema = z.object({
  version: z.literal(1),
  nodeName: z.string(),
  pools: z.array(PoolSpecSchema),
  allocations: z.array(RecordSchema),
  /** Routing table id per network. */
  routeTables: z.record(z.string(), z.number().int()).default({}),
});

/** What one log line records: the changes of one group commit (allocations put or deleted, and what else changed). */
export const LogRecordSchema = z.object({
  put: z.array(RecordSchema),
  del: z.array(z.object({ pool: z.string(), address: z.string() })),
  pools: z.array(PoolSpecSchema).optional(),
  routeTables: z.record(z.string(), z.number().int()).optional(),
  nodeName: z.string().optional(),
});

/** The first line of a log file: its id, and the id of the log it continues (after a rotation). */
export const LogHeaderSchema = z.object({ log: z.string(), after: z.string().optional() });

/** A parsed value seen read-only: what is loaded or logged is never changed in place (records are shared with the store). */
type ReadonlyDeep<T> = T extends readonly (infer U)[]
  ? readonly ReadonlyDeep<U>[]
  : T extends object
    ? { readonly [K in keyof T]: ReadonlyDeep<T[K]> }
    : T;

export type Checkpoint = ReadonlyDeep<z.output<typeof CheckpointSchema>>;
export type LogRecord = ReadonlyDeep<z.output<typeof LogRecordSchema>>;
export type LogHeader = z.output<typeof LogHeaderSchema>;

/** Everything of a checkpoint but the allocations: small, compared whole at each commit. */
export type CheckpointMeta = Omit<Checkpoint, 'allocations'>;

/** True when A and B are the same type (also in optional and readonly fields). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;
/** The checkpoint stores exactly the store's records and pool specs: this fails to compile when they drift apart. */
export type StoreTypesMatch = [
  Assert<Same<Checkpoint['allocations'][number], AllocationRecord>>,
  Assert<Same<Checkpoint['pools'][number], PoolSpec>>,
];

/** The first of the two log files (the one a compaction in place starts). */
export function logFileOf(file: string): string {
  return `${file}.log`;
}

/** Both log files, used in turn. */
export function logFilesOf(file: string): readonly [string, string] {
  return [`${file}.log`, `${file}.log.1`];
}
