// The local checkpoint: the node's pools, allocations and route tables in one JSON file, replaced atomically
// (write a temp file, fsync it, rename it over the old one, fsync the directory). Writes are group-committed: every
// caller waits for a write that started after its call, and all callers of one interval share that write.
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, rename } from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { Coalesced } from '../serial.js';
import type { AllocationRecord, PoolSpec } from './store.js';

const PoolSpecSchema = z.object({
  name: z.string(),
  network: z.string(),
  interfaceName: z.string(),
  podCIDR: z.string(),
  vlanCIDR: z.string(),
  excludes: z.array(z.string()),
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

export interface Checkpoint {
  readonly version: 1;
  readonly nodeName: string;
  readonly pools: readonly PoolSpec[];
  readonly allocations: readonly AllocationRecord[];
  readonly routeTables: Readonly<Record<string, number>>;
}

export type LoadedCheckpoint =
  | { readonly kind: 'none' }
  | { readonly kind: 'loaded'; readonly checkpoint: Checkpoint }
  | { readonly kind: 'corrupt'; readonly error: string; readonly movedTo: string };

/** Reads the checkpoint; a file that does not parse is moved aside (`<file>.corrupt-<time>`) and reported. */
export function loadCheckpoint(file: string, now: number): LoadedCheckpoint {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    throw err;
  }
  let error: string;
  try {
    const parsed = CheckpointSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { kind: 'loaded', checkpoint: parsed.data };
    error = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  } catch (err) {
    error = String(err);
  }
  const movedTo = `${file}.corrupt-${now}`;
  renameSync(file, movedTo);
  return { kind: 'corrupt', error, movedTo };
}

export interface CheckpointWriterOptions {
  readonly file: string;
  /** Called at the start of each write: the state to persist. */
  readonly snapshot: () => Checkpoint;
  /** Seconds one write (incl. both fsyncs) took. */
  readonly observe?: (seconds: number) => void;
}

/** Replaces `file` atomically and durably: temp file, fdatasync, rename, fsync of the directory (kept open). */
async function writeAtomically(file: string, data: string, dir: FileHandle): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
  await dir.sync();
}

export class CheckpointWriter {
  readonly #options: CheckpointWriterOptions;
  readonly #coalesced = new Coalesced(() => this.#write());
  #writes = 0;
  #dir: Promise<FileHandle> | undefined;

  constructor(options: CheckpointWriterOptions) {
    this.#options = options;
    mkdirSync(path.dirname(options.file), { recursive: true, mode: 0o700 });
  }

  /** Number of completed writes. */
  get writes(): number {
    return this.#writes;
  }

  /** Resolves once a write that started after this call is on disk; rejects when that write failed. */
  persist(): Promise<void> {
    return this.#coalesced.run();
  }

  async #write(): Promise<void> {
    const started = performance.now();
    const data = JSON.stringify(this.#options.snapshot());
    this.#dir ??= open(path.dirname(this.#options.file), 'r');
    const dir = await this.#dir.catch((err: unknown) => {
      this.#dir = undefined;
      throw err;
    });
    await writeAtomically(this.#options.file, data, dir);
    this.#writes += 1;
    this.#options.observe?.((performance.now() - started) / 1000);
  }

  /** Waits for a write in progress and closes the directory handle (a later persist() opens it again). */
  async close(): Promise<void> {
    await this.#coalesced.settled();
    const dir = this.#dir;
    this.#dir = undefined;
    await (await dir?.catch(() => undefined))?.close();
  }
}
