// Writing the checkpoint: group commits appended to the active log, rotation to the other log file with the new
// snapshot written in the background, and compaction in place at start and after a failed write.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, rename } from 'node:fs/promises';
import * as path from 'node:path';
import { Coalesced } from '../../serial.js';
import type { AllocationChanges } from '../store.js';
import { diffCheckpoint, encodeLogLine, logRecordOf } from './codec.js';
import { logFilesOf } from './format.js';
import type { Checkpoint, CheckpointMeta, LogRecord } from './format.js';

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
      const next =
        this.#log === undefined || last === undefined || this.#mustCompact ? undefined : this.#nextRecord(last);
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
  #nextRecord(
    last: Checkpoint,
  ): { record: LogRecord | undefined; full?: Checkpoint; meta?: CheckpointMeta } | undefined {
    const journal = this.#options.journal;
    if (journal === undefined) {
      const full = copyOf(this.#options.snapshot());
      return { record: diffCheckpoint(last, full), full };
    }
    const changes = journal.changes();
    if (changes === undefined) return undefined;
    const meta = journal.meta();
    // In journal mode `last` keeps only the meta current (its allocations are not maintained).
    return {
      record: logRecordOf(changes, last, meta),
      meta: { ...meta, pools: [...meta.pools], routeTables: { ...meta.routeTables } },
    };
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

  /** Resolves once a background snapshot in progress has landed or failed (at once when there is none). */
  async snapshotSettled(): Promise<void> {
    await this.#snapshotting;
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
