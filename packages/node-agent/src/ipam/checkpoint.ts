// The local checkpoint: the node's pools, allocations and route tables, as a snapshot (`<file>`, one JSON document,
// replaced atomically: temp file, fdatasync, rename, fsync of the directory) plus an append-only log (one line per
// group commit: what changed since the line before, fdatasync'ed before any caller is answered). Writes are
// group-committed: every caller waits for a commit that started after its call, and all callers of one interval
// share that commit (one appended line, one fdatasync).
//
// The log lives in two files used in turn (`<file>.log`, `<file>.log.1`). When the active one outgrows
// `compactBytes` (and twice the snapshot), a commit rotates: it starts the other file with a header that names the
// log it continues (`{"log":"<new id>","after":"<old id>"}`) and its own record, and answers its callers; the new
// snapshot (the state at the rotation, with the new id) is then written in the background while commits go on. Until
// that snapshot lands, recovery is the old snapshot + its log + the log that continues it; after, the new snapshot +
// the new log. The writer's first commit (start-up) and the first after a failed write compact in place instead:
// a new snapshot, then a fresh log.
//
// Each log line is `<crc32 hex> <json>\n`; the first line names the snapshot it follows, so a log left over from an
// older generation is never replayed onto a newer snapshot. Replay stops at the first line that is incomplete (no
// newline), fails its checksum or does not parse: a torn tail is discarded, never applied half.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, rename } from 'node:fs/promises';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { z } from 'zod';
import { Coalesced } from '../serial.js';
import type { AllocationChanges, AllocationRecord, PoolSpec } from './store.js';

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

const LogHeaderSchema = z.object({ log: z.string(), after: z.string().optional() });
type LogHeader = z.output<typeof LogHeaderSchema>;

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
  return logRecordOf({ put, del }, before, after);
}

/** Everything of a checkpoint but the allocations: small, compared whole at each commit. */
export type CheckpointMeta = Omit<Checkpoint, 'allocations'>;

/** The log record of these allocation changes plus whatever of the rest differs; undefined when nothing changed. */
function logRecordOf(changes: AllocationChanges, before: CheckpointMeta, after: CheckpointMeta): LogRecord | undefined {
  const record: { -readonly [K in keyof LogRecord]: LogRecord[K] } = { put: changes.put, del: changes.del };
  if (!sameJson(before.pools, after.pools)) record.pools = after.pools;
  if (!sameJson(before.routeTables, after.routeTables)) record.routeTables = after.routeTables;
  if (before.nodeName !== after.nodeName) record.nodeName = after.nodeName;
  const empty = changes.put.length === 0 && changes.del.length === 0 && Object.keys(record).length === 2;
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
  // After the header; a partial line after the last complete one is discarded too.
  let end = (all[0]?.line.length ?? 0) + 1;
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

/** The first of the two log files (the one a compaction in place starts). */
export function logFileOf(file: string): string {
  return `${file}.log`;
}

/** Both log files, used in turn. */
export function logFilesOf(file: string): readonly [string, string] {
  return [`${file}.log`, `${file}.log.1`];
}

/** The header of a log file's content; undefined when it has none that parses. */
function headerOf(log: Buffer): LogHeader | undefined {
  const nl = log.indexOf(0x0a);
  if (nl < 0) return undefined;
  const parsed = LogHeaderSchema.safeParse(decodeLogLine(log.subarray(0, nl)));
  return parsed.success ? parsed.data : undefined;
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
  for (const log of logFilesOf(file)) if (readOrNone(log) !== undefined) renameSync(log, `${log}.corrupt-${now}`);
  return { kind: 'corrupt', error, movedTo };
}

/**
 * The snapshot's log replayed, then the log that continues it (a rotation whose snapshot had not landed yet). A
 * log that stopped early (torn or corrupt) is not continued: what came after it cannot be applied in order.
 */
function replayFile(args: { snapshot: Checkpoint; logId: string | undefined; file: string; options: LoadOptions }): Checkpoint {
  const logs = logFilesOf(args.file)
    .map((f) => readOrNone(f))
    .filter((b): b is Buffer => b !== undefined && b.length > 0);
  if (logs.length === 0) return args.snapshot;
  const own = logs.find((b) => args.logId !== undefined && headerOf(b)?.log === args.logId);
  if (own === undefined) {
    const stale = { applied: 0, discardedBytes: 0, stale: true };
    args.options.onReplay?.(stale);
    return args.snapshot;
  }
  const first = replayLog(args.snapshot, args.logId, own);
  const nextLog = first.discardedBytes > 0 ? undefined : logs.find((b) => headerOf(b)?.after === args.logId);
  const next = nextLog === undefined ? undefined : replayLog(first.checkpoint, headerOf(nextLog)?.log, nextLog);
  const replay = { applied: first.applied + (next?.applied ?? 0), discardedBytes: first.discardedBytes + (next?.discardedBytes ?? 0), stale: false };
  if (replay.discardedBytes > 0) args.options.onReplay?.(replay);
  return next?.checkpoint ?? first.checkpoint;
}

export interface CheckpointJournal {
  /** The allocations changed since the last call; undefined when unknown (the commit then writes a new snapshot). */
  readonly changes: () => AllocationChanges | undefined;
  readonly meta: () => CheckpointMeta;
}

export interface CheckpointWriterOptions {
  readonly file: string;
  /**
   * The whole state to persist. Without a journal it is taken at every commit and diffed with the last one; with a
   * journal only when a new snapshot is written (compaction, rotation).
   */
  readonly snapshot: () => Checkpoint;
  /** Makes a commit cost O(changes) instead of O(state): the store's change journal. */
  readonly journal?: CheckpointJournal;
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
  /** Which of the two log files is active, and its id. */
  #slot: 0 | 1 = 0;
  #logId = '';
  #logBytes = 0;
  #snapshotBytes = 0;
  /** The state as of the last committed log line; undefined: the next commit compacts in place. */
  #last: Checkpoint | undefined;
  /** The background snapshot of the last rotation, while it is being written. */
  #snapshotting: Promise<void> | undefined;
  /** A background snapshot failed: the older log is still needed, so the next commit compacts in place. */
  #mustCompact = false;

  constructor(options: CheckpointWriterOptions) {
    this.#options = options;
    mkdirSync(path.dirname(options.file), { recursive: true, mode: 0o700 });
  }

  /** Number of completed commits. */
  get writes(): number {
    return this.#writes;
  }

  /** Number of completed compactions (a new snapshot on disk, in place or in the background after a rotation). */
  get compactions(): number {
    return this.#compactions;
  }

  /** Resolves once a commit that started after this call is on disk; rejects when that commit failed. */
  persist(): Promise<void> {
    return this.#coalesced.run();
  }

  async #write(): Promise<void> {
    const started = performance.now();
    try {
      const last = this.#last;
      const next = this.#log === undefined || last === undefined || this.#mustCompact ? undefined : this.#nextRecord(last);
      if (next === undefined || last === undefined) {
        this.#options.journal?.changes(); // the new snapshot has them
        const full = copyOf(this.#options.snapshot());
        await this.#compact(full);
        this.#last = full;
      } else if (this.#snapshotting === undefined && this.#logBytes > this.#compactAt()) {
        // The new snapshot is the state after this commit: replaying this commit's record onto it changes nothing.
        const full = next.full ?? copyOf(this.#options.snapshot());
        await this.#rotate(next.record, full);
        this.#last = full;
      } else {
        if (this.#log !== undefined) await this.#append(this.#log, next.record);
        this.#last = next.full ?? { ...last, ...next.meta };
      }
    } catch (err) {
      // Whatever reached the disk, the next commit starts over with a new snapshot and a new log.
      this.#last = undefined;
      throw err;
    }
    this.#writes += 1;
    this.#options.observe?.((performance.now() - started) / 1000);
  }

  /**
   * This commit's log record: from the journal (allocations changed, plus the meta when it differs), or by diffing
   * the whole state with the last one. Undefined when the journal lost track: then a new snapshot is due.
   */
  #nextRecord(last: Checkpoint): { record: LogRecord | undefined; full?: Checkpoint; meta?: CheckpointMeta } | undefined {
    const journal = this.#options.journal;
    if (journal === undefined) {
      const full = copyOf(this.#options.snapshot());
      return { record: diffCheckpoint(last, full), full };
    }
    const changes = journal.changes();
    if (changes === undefined) return undefined;
    const meta = journal.meta();
    // In journal mode `last` keeps only the meta current (its allocations are not maintained).
    return { record: logRecordOf(changes, last, meta), meta: { ...meta, pools: [...meta.pools], routeTables: { ...meta.routeTables } } };
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

  /**
   * Starts the other log file (a header naming the log it continues, then this commit's record: one fdatasync, as a
   * plain commit) and writes `full` (the state after this commit) as the new snapshot in the background.
   */
  async #rotate(record: LogRecord | undefined, full: Checkpoint): Promise<void> {
    const id = randomUUID();
    const slot = this.#slot === 0 ? 1 : 0;
    const text = encodeLogLine({ log: id, after: this.#logId }) + (record === undefined ? '' : encodeLogLine(record));
    // Both files exist since the first compaction (their directory entries are durable), so this is data only.
    const log = await open(logFilesOf(this.#options.file)[slot], 'w', 0o600);
    try {
      await log.appendFile(text);
      await log.datasync();
    } catch (err) {
      await log.close().catch(() => undefined);
      throw err;
    }
    const old = this.#log;
    this.#log = log;
    this.#slot = slot;
    this.#logId = id;
    this.#logBytes = Buffer.byteLength(text);
    await old?.close().catch(() => undefined);
    const snapshotting = this.#writeSnapshot(full, id).then(
      () => {
        this.#compactions += 1;
      },
      () => {
        // The old snapshot and both logs still hold everything; the next commit compacts in place.
        this.#mustCompact = true;
      },
    );
    this.#snapshotting = snapshotting.finally(() => {
      this.#snapshotting = undefined;
    });
  }

  async #writeSnapshot(state: Checkpoint, id: string): Promise<void> {
    const data = JSON.stringify({ ...state, log: id });
    await writeAtomically(this.#options.file, data, await this.#openDir());
    this.#snapshotBytes = Buffer.byteLength(data);
  }

  /**
   * In place: a new snapshot (with a new log id), then a fresh first log file that starts with that id, and the
   * second file created empty (so a rotation only writes data). A crash in between leaves a stale log, ignored.
   */
  async #compact(current: Checkpoint): Promise<void> {
    await this.#snapshotting;
    const dir = await this.#openDir();
    const id = randomUUID();
    await this.#writeSnapshot(current, id);
    const old = this.#log;
    this.#log = undefined;
    await old?.close();
    const [first, second] = logFilesOf(this.#options.file);
    const log = await open(first, 'w', 0o600);
    this.#log = log;
    this.#slot = 0;
    this.#logId = id;
    const header = encodeLogLine({ log: id });
    await log.appendFile(header);
    await log.datasync();
    await (await open(second, 'a', 0o600)).close();
    await dir.sync();
    this.#logBytes = Buffer.byteLength(header);
    this.#mustCompact = false;
    this.#compactions += 1;
  }

  #openDir(): Promise<FileHandle> {
    this.#dir ??= open(path.dirname(this.#options.file), 'r');
    return this.#dir.catch((err: unknown) => {
      this.#dir = undefined;
      throw err;
    });
  }

  /** Waits for a commit and a background snapshot in progress and closes the files (a later persist() compacts and opens them again). */
  async close(): Promise<void> {
    await this.#coalesced.settled();
    await this.#snapshotting;
    const dir = this.#dir;
    const log = this.#log;
    this.#dir = undefined;
    this.#log = undefined;
    this.#last = undefined;
    await log?.close();
    await (await dir?.catch(() => undefined))?.close();
  }
}
