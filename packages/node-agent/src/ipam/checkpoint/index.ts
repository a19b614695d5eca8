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
//
// format.ts: schemas, types and file names; codec.ts: records, replay and log lines (no I/O); loader.ts: reading;
// writer.ts: the group-committing writer.
export { CheckpointSchema, logFileOf, logFilesOf } from './format.js';
export type { Checkpoint, CheckpointMeta, LogRecord } from './format.js';
export { applyLogRecords, diffCheckpoint, encodeLogLine, replayLog } from './codec.js';
export type { LogReplay } from './codec.js';
export { loadCheckpoint } from './loader.js';
export type { LoadOptions, LoadedCheckpoint } from './loader.js';
export { CheckpointWriter } from './writer.js';
export type { CheckpointJournal, CheckpointWriterOptions } from './writer.js';
