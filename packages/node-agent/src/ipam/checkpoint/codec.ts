// The log codec, free of I/O: the record of a commit (a diff, or the journal's changes plus the meta that differs),
// replay of records onto a snapshot, and log lines (`<crc32 hex> <json>\n`) with the checks that stop a replay at a
// torn or corrupt tail.
import { crc32 } from 'node:zlib';
import type { AllocationChanges, AllocationRecord } from '../store.js';
import { LogHeaderSchema, LogRecordSchema } from './format.js';
import type { Checkpoint, CheckpointMeta, LogHeader, LogRecord } from './format.js';

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

/** The log record of these allocation changes plus whatever of the rest differs; undefined when nothing changed. */
export function logRecordOf(
  changes: AllocationChanges,
  before: CheckpointMeta,
  after: CheckpointMeta,
): LogRecord | undefined {
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
  return {
    checkpoint: applyLogRecords(snapshot, records),
    applied: records.length,
    discardedBytes: log.length - end,
    stale: false,
  };
}

/** The header of a log file's content; undefined when it has none that parses. */
export function headerOf(log: Buffer): LogHeader | undefined {
  const nl = log.indexOf(0x0a);
  if (nl < 0) return undefined;
  const parsed = LogHeaderSchema.safeParse(decodeLogLine(log.subarray(0, nl)));
  return parsed.success ? parsed.data : undefined;
}
