import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

// A tiny detached watchdog: it reads process-group ids on stdin ("123" adds, "-123" removes), network namespace
// names ("ns:name" adds, "-ns:name" removes) and directories ("dir:/path" adds, "-dir:/path" removes), and when stdin
// closes it kills every group still listed, then deletes every namespace and directory still listed. The kernel closes that pipe however this process ends (normal exit, uncaught
// exception, SIGINT, SIGTERM, even SIGKILL — e.g. a task runner killing the other tasks after one failed), so
// nothing we started or created outlives us.
const REAPER_SOURCE = `
const { execFileSync } = require('node:child_process');
const { rmSync } = require('node:fs');
const groups = new Set();
const namespaces = new Set();
const dirs = new Set();
let buf = '';
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.on('SIGHUP', () => {});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d;
  for (let i = buf.indexOf('\\n'); i >= 0; i = buf.indexOf('\\n')) {
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    if (line.startsWith('ns:')) namespaces.add(line.slice(3));
    else if (line.startsWith('-ns:')) namespaces.delete(line.slice(4));
    else if (line.startsWith('dir:')) dirs.add(line.slice(4));
    else if (line.startsWith('-dir:')) dirs.delete(line.slice(5));
    else {
      const n = Number(line);
      if (n > 0) groups.add(n); else if (n < 0) groups.delete(-n);
    }
  }
});
const reap = () => {
  for (const g of groups) { try { process.kill(-g, 'SIGKILL'); } catch {} }
  for (const ns of namespaces) { try { execFileSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' }); } catch {} }
  for (const dir of dirs) { try { rmSync(dir, { recursive: true, force: true }); } catch {} }
  process.exit(0);
};
process.stdin.on('end', reap);
process.stdin.on('error', reap);
`;

/** A handle on a reaper process: tell it which process groups to kill if we die. */
export interface Reaper {
  readonly pid: number;
  watch(pgid: number): void;
  unwatch(pgid: number): void;
  /** A network namespace to delete if we die (after the watched groups are killed). */
  watchNetns(name: string): void;
  unwatchNetns(name: string): void;
  /** A directory to delete if we die (after the groups are killed): a test control plane's data and logs. */
  watchDir(dir: string): void;
  unwatchDir(dir: string): void;
  /** Close the pipe: the reaper kills what is still watched and exits (what our own death does). */
  close(): void;
}

/** Start a reaper. It does not keep this process alive. */
export function spawnReaper(): Reaper {
  const child = spawn(process.execPath, ['-e', REAPER_SOURCE], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.unref();
  const stdin = child.stdin as unknown as Socket;
  stdin.unref();
  stdin.on('error', () => {}); // the reaper gone: nothing left to tell it
  const send = (line: string): void => {
    if (!stdin.destroyed) stdin.write(`${line}\n`);
  };
  return {
    pid: child.pid ?? 0,
    watch: (pgid) => send(String(pgid)),
    unwatch: (pgid) => send(String(-pgid)),
    watchNetns: (name) => send(`ns:${name}`),
    unwatchNetns: (name) => send(`-ns:${name}`),
    watchDir: (dir) => send(`dir:${dir}`),
    unwatchDir: (dir) => send(`-dir:${dir}`),
    close: () => stdin.end(),
  };
}

let shared: Reaper | undefined;

/** The one reaper of this process, started on first use. */
export function sharedReaper(): Reaper {
  shared ??= spawnReaper();
  return shared;
}
