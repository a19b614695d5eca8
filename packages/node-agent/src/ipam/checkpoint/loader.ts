// Loading the checkpoint: the snapshot, then its log replayed, then the log that continues it. A snapshot that does
// not parse is moved aside and reported.
import { readFileSync, renameSync } from 'node:fs';
import { headerOf, replayLog } from './codec.js';
import type { LogReplay } from './codec.js';
import { CheckpointSchema, logFilesOf } from './format.js';
import type { Checkpoint } from './format.js';

export type LoadedCheckpoint =
  | { readonly kind: 'none' }
  | { readonly kind: 'loaded'; readonly checkpoint: Checkpoint }
  | { readonly kind: 'corrupt'; readonly error: string; readonly movedTo: string };

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
    if (parsed.success)
      return { kind: 'loaded', checkpoint: replayFile({ snapshot: parsed.data, logId: logIdOf(raw), file, options }) };
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
function replayFile(args: {
  snapshot: Checkpoint;
  logId: string | undefined;
  file: string;
  options: LoadOptions;
}): Checkpoint {
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
  const replay = {
    applied: first.applied + (next?.applied ?? 0),
    discardedBytes: first.discardedBytes + (next?.discardedBytes ?? 0),
    stale: false,
  };
  if (replay.discardedBytes > 0) args.options.onReplay?.(replay);
  return next?.checkpoint ?? first.checkpoint;
}
