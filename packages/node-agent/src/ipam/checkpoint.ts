// The local checkpoint: the node's pools, allocations and route tables, as a snapshot (`<file>`, one JSON document,
// replaced atomically: temp file, fdatasync, rename, fsync of the directory) plus an append-only log (`<file>.log`,
// one line per group commit: what changed since the line before, fdatasync'ed before any caller is answered).
// Writes are group-committed: every caller waits for a commit that started after its call, and all callers of one
// interval share that commit (one appended line, one fdatasync). The log is compacted into a new snapshot on the
// writer's first commit (start-up) and whenever it outgrows `compactBytes` (and twice the snapshot).
//
// Recovery = snapshot + replay of the log. Each log line is `<crc32 hex> <json>\n`; the first line names the snapshot
// it follows (`{"log":"<id>"}`, the same id is in the snapshot), so a log left over from before a compaction is
// never replayed onto the newer snapshot. Replay stops at the first line that is incomplete (no newline), fails its
// checksum or does not parse: a torn tail is discarded, never applied half.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, rename } from 'node:fs/promises';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
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

/** What one log line records: the changes of one group commit (allocations put or deleted, and what else changed). */
export interface LogRecord {
  readonly put: readonly AllocationRecord[];
  readonly del: readonly { readonly pool: string; readonly address: string }[];
  readonly pools?: readonly PoolSpec[] | undefined;
  readonly routeTables?: Readonly<Record<string, number>> | undefined;
  readonly nodeName?: string | undefined;
}

const LogRecordSchema = z.object({
  put: z.array(RecordSchema),
  del: z.array(z.object({ pool: z.string(), address: z.string() })),
  pools: z.array(PoolSpecSchema).optional(),
  routeTables: z.record(z.string(), z.number().int()).optional(),
  nodeName: z.string().optional(),
});

const LogHeaderSchema = z.object({ log: z.string() });

function keyOf(r: { readonly pool: string; readonly address: string }): string {
  return `${r.pool}\u0000${r.address}`;
}

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** The log record that turns `before` into `after`; undefined when nothing changed. */
export function diffCheckpoint(before: Checkpoint, after: Checkpoint): LogRecord | undefined {
  const old = new Map(before.allocations.map((r) => [keyOf(r), r]));
  const seen = new Set<string>();
  const put: AllocationRecord[] = [];
  for (const r of after.allocations) {
    const k = keyOf(r);
    seen.add(k);
    const o = old.get(k);
    if (o === undefined || !sameJson(o, r)) put.push(r);
  }
  const del = [...old.entries()].filter(([k]) => !seen.has(k)).map(([, r]) => ({ pool: r.pool, address: r.address }));
  const record: { -readonly [K in keyof LogRecord]: LogRecord[K] } = { put, del };
  if (!sameJson(before.pools, after.pools)) record.pools = after.pools;
  if (!sameJson(before.routeTables, after.routeTables)) record.routeTables = after.routeTables;
  if (before.nodeName !== after.nodeName) record.nodeName = after.nodeName;
  const empty = put.length === 0 && del.length === 0 && Object.keys(record).length === 2;
  return empty ? undefined : record;
}

/** Applies log records in order (each: deletions, then puts; pools, route tables and node name replaced when present). */
export function applyLogRecords(snapshot: Checkpoint, records: readonly LogRecord[]): Checkpoint {
  const byKey = new Map(snapshot.allocations.map((r) => [keyOf(r), r]));
  let { nodeName, pools, routeTables } = snapshot;
  for (const record of records) {
    for (const d of record.del) byKey.delete(keyOf(d));
    for (const r of record.put) byKey.set(keyOf(r), r);
    nodeName = record.nodeName ?? nodeName;
    pools = record.pools ?? pools;
    routeTables = record.routeTables ?? routeTables;
  }
  return { version: 1, nodeName, pools, allocations: [...byKey.values()], routeTables };
}

/** One log line: `<crc32 of the JSON, 8 hex digits> <JSON>\n`. */
export function encodeLogLine(value: unknown): string {
  const json = JSON.stringify(value);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

/** Decodes one complete line (without its newline); undefined when the checksum or the JSON is wrong. */
function decodeLogLine(line: Buffer): unknown {
  const space = line.indexOf(0x20);
  if (space !== 8) return undefined;
  const json = line.subarray(9);
  if (crc32(json).toString(16).padStart(8, '0') !== line.subarray(0, 8).toString('latin1')) return undefined;
  try {
    return JSON.parse(json.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export interface LogReplay {
  readonly checkpoint: Checkpoint;
  /** Log records applied. */
  readonly applied: number;
  /** Bytes at the end of the log that were not applied (a torn or corrupt tail). */
  readonly discardedBytes: number;
  /** True when the log belongs to another snapshot (left over from before a compaction) and was ignored. */
  readonly stale: boolean;
}

/** Complete lines of `log` (a trailing partial line is not one), with the byte offset where each starts. */
function lines(log: Buffer): { line: Buffer; start: number }[] {
  const out: { line: Buffer; start: number }[] = [];
  let start = 0;
  for (let nl = log.indexOf(0x0a); nl >= 0; nl = log.indexOf(0x0a, start)) {
    out.push({ line: log.subarray(start, nl), start });
    start = nl + 1;
  }
  return out;
}

/**
 * Snapshot + replay of its log. The first line must name the snapshot's log id (else the log is stale and
 * ignored); replay stops at the first line that is incomplete, fails its checksum or does not parse.
 */
export function replayLog(snapshot: Checkpoint, logId: string | undefined, log: Buffer): LogReplay {
  const all = lines(log);
  const header = LogHeaderSchema.safeParse(all[0] === undefined ? undefined : decodeLogLine(all[0].line));
  if (!header.success || logId === undefined || header.data.log !== logId) {
    return { checkpoint: snapshot, applied: 0, discardedBytes: 0, stale: log.length > 0 };
  }
  const records: LogRecord[] = [];
  let end = log.length;
  for (const { line, start } of all.slice(1)) {
    const parsed = LogRecordSchema.safeParse(decodeLogLine(line));
    if (!parsed.success) {
      end = start;
      break;
    }
    records.push(parsed.data);
    end = start + line.length + 1;
  }
  return { checkpoint: applyLogRecords(snapshot, records), applied: records.length, discardedBytes: log.length - end, stale: false };
}

export function logFileOf(file: string): string {
  return `${file}.log`;
}

function readOrNone(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export interface LoadOptions {
  /** Told when the log's end was torn or corrupt (those bytes are ignored) or the log was stale. */
  readonly onReplay?: (replay: Omit<LogReplay, 'checkpoint'>) => void;
}

/** The snapshot's own log id (an extra field of the snapshot JSON, absent before the log existed). */
function logIdOf(raw: unknown): string | undefined {
  const id = (raw as { log?: unknown } | null)?.log;
  return typeof id === 'string' ? id : undefined;
}

/**
 * Reads the checkpoint: the snapshot, then its log replayed. A snapshot that does not parse is moved aside
 * (`<file>.corrupt-<time>`, its log likewise) and reported.
 */
export function loadCheckpoint(file: string, now: number, options: LoadOptions = {}): LoadedCheckpoint {
  const text = readOrNone(file)?.toString('utf8');
  if (text === undefined) return { kind: 'none' };
  let error: string;
  try {
    const raw = JSON.parse(text) as unknown;
    const parsed = CheckpointSchema.safeParse(raw);
    if (parsed.success) return { kind: 'loaded', checkpoint: replayFile({ snapshot: parsed.data, logId: logIdOf(raw), file, options }) };
    error = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  } catch (err) {
    error = String(err);
  }
  const movedTo = `${file}.corrupt-${now}`;
  renameSync(file, movedTo);
  if (readOrNone(logFileOf(file)) !== undefined) renameSync(logFileOf(file), `${logFileOf(file)}.corrupt-${now}`);
  return { kind: 'corrupt', error, movedTo };
}

function replayFile(args: { snapshot: Checkpoint; logId: string | undefined; file: string; options: LoadOptions }): Checkpoint {
  const log = readOrNone(logFileOf(args.file));
  if (log === undefined) return args.snapshot;
  const { checkpoint, ...replay } = replayLog(args.snapshot, args.logId, log);
  if (replay.discardedBytes > 0 || replay.stale) args.options.onReplay?.(replay);
  return checkpoint;
}

export interface CheckpointWriterOptions {
  readonly file: string;
  /** Called at the start of each commit: the state to persist. */
  readonly snapshot: () => Checkpoint;
  /** Seconds one commit (a log append + fdatasync, or a compaction) took. */
  readonly observe?: (seconds: number) => void;
  /** Compact once the log is larger than this many bytes and than twice the snapshot (default 1 MiB). */
  readonly compactBytes?: number;
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

/** A copy that later in-place changes of the caller's objects cannot reach (records themselves are immutable). */
function copyOf(cp: Checkpoint): Checkpoint {
  return { ...cp, pools: [...cp.pools], allocations: [...cp.allocations], routeTables: { ...cp.routeTables } };
}

export class CheckpointWriter {
  readonly #options: CheckpointWriterOptions;
  readonly #coalesced = new Coalesced(() => this.#write());
  #writes = 0;
  #compactions = 0;
  #dir: Promise<FileHandle> | undefined;
  #log: FileHandle | undefined;
  #logBytes = 0;
  #snapshotBytes = 0;
  /** The state as of the last committed log line; undefined: the next commit compacts. */
  #last: Checkpoint | undefined;

  constructor(options: CheckpointWriterOptions) {
    this.#options = options;
    mkdirSync(path.dirname(options.file), { recursive: true, mode: 0o700 });
  }

  /** Number of completed commits. */
  get writes(): number {
    return this.#writes;
  }

  /** Number of completed compactions (new snapshot, new log). */
  get compactions(): number {
    return this.#compactions;
  }

  /** Resolves once a commit that started after this call is on disk; rejects when that commit failed. */
  persist(): Promise<void> {
    return this.#coalesced.run();
  }

  async #write(): Promise<void> {
    const started = performance.now();
    const current = copyOf(this.#options.snapshot());
    try {
      if (this.#log === undefined || this.#last === undefined || this.#logBytes > this.#compactAt()) await this.#compact(current);
      else await this.#append(this.#log, diffCheckpoint(this.#last, current));
    } catch (err) {
      // Whatever reached the disk, the next commit starts over with a new snapshot and a new log.
      this.#last = undefined;
      throw err;
    }
    this.#last = current;
    this.#writes += 1;
    this.#options.observe?.((performance.now() - started) / 1000);
  }

  #compactAt(): number {
    return Math.max(this.#options.compactBytes ?? 1024 * 1024, 2 * this.#snapshotBytes);
  }

  async #append(log: FileHandle, record: LogRecord | undefined): Promise<void> {
    if (record === undefined) return;
    const line = encodeLogLine(record);
    await log.appendFile(line);
    await log.datasync();
    this.#logBytes += Buffer.byteLength(line);
  }

  /** New snapshot (with a new log id), then a new log that starts with that id: a crash in between leaves a stale log, ignored. */
  async #compact(current: Checkpoint): Promise<void> {
    const dir = await this.#openDir();
    const id = randomUUID();
    const data = JSON.stringify({ ...current, log: id });
    await writeAtomically(this.#options.file, data, dir);
    this.#snapshotBytes = Buffer.byteLength(data);
    const old = this.#log;
    this.#log = undefined;
    await old?.close();
    const log = await open(logFileOf(this.#options.file), 'w', 0o600);
    this.#log = log;
    const header = encodeLogLine({ log: id });
    await log.appendFile(header);
    await log.datasync();
    await dir.sync();
    this.#logBytes = Buffer.byteLength(header);
    this.#compactions += 1;
  }

  #openDir(): Promise<FileHandle> {
    this.#dir ??= open(path.dirname(this.#options.file), 'r');
    return this.#dir.catch((err: unknown) => {
      this.#dir = undefined;
      throw err;
    });
  }

  /** Waits for a commit in progress and closes the files (a later persist() compacts and opens them again). */
  async close(): Promise<void> {
    await this.#coalesced.settled();
    const dir = this.#dir;
    const log = this.#log;
    this.#dir = undefined;
    this.#log = undefined;
    this.#last = undefined;
    await log?.close();
    await (await dir?.catch(() => undefined))?.close();
  }
}
