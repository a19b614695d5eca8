import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

// A tiny detached watchdog: it reads process-group ids on stdin ("123" adds, "-123" removes) and kills every
// group still listed when stdin closes. The kernel closes that pipe however this process ends (normal exit,
// uncaught exception, SIGINT, SIGTERM, even SIGKILL), so nothing we started outlives us.
const REAPER_SOURCE = `
const groups = new Set();
let buf = '';
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.on('SIGHUP', () => {});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d;
  for (let i = buf.indexOf('\\n'); i >= 0; i = buf.indexOf('\\n')) {
    const n = Number(buf.slice(0, i));
    buf = buf.slice(i + 1);
    if (n > 0) groups.add(n); else if (n < 0) groups.delete(-n);
  }
});
const reap = () => {
  for (const g of groups) { try { process.kill(-g, 'SIGKILL'); } catch {} }
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
    close: () => stdin.end(),
  };
}

let shared: Reaper | undefined;

/** The one reaper of this process, started on first use. */
export function sharedReaper(): Reaper {
  shared ??= spawnReaper();
  return shared;
}
