// Small process helpers: run a command and collect its output, spawn a long-lived process group with its log in a
// file, stop a process group.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { sharedReaper } from '@multinic/testenv';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly stdin?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/** Runs a command to completion; never throws for a non-zero exit (look at `code`). */
export function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], {
      env: options.env === undefined ? process.env : { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 60_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code: code ?? (signal === null ? 1 : 128),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
  });
}

/** Runs a command and throws with its stderr when it fails. */
export async function runOk(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const res = await run(cmd, args, options);
  if (res.code !== 0)
    throw new Error(`${cmd} ${args.join(' ')} exited ${res.code}: ${res.stderr.trim() || res.stdout.trim()}`);
  return res.stdout;
}

export const ip = (args: readonly string[]): Promise<string> => runOk('ip', args);

export interface Daemon {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
}

/** Starts a long-lived process in its own process group, stdout and stderr appended to `logFile`. */
export function daemon(name: string, argv: readonly string[], logFile: string): Daemon {
  const fd = openSync(logFile, 'a');
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error(`daemon ${name}: empty command`);
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  // Its group is killed by the reaper if this process dies before stopDaemon (e.g. a task runner killing the tests).
  const pgid = child.pid;
  if (pgid !== undefined) sharedReaper().watch(pgid);
  const exited = new Promise<void>((resolve) => {
    const done = (): void => {
      if (pgid !== undefined) sharedReaper().unwatch(pgid);
      resolve();
    };
    child.on('exit', done);
    child.on('error', done);
  });
  return { name, child, logFile, exited };
}

/** Signals the daemon's whole process group and waits (up to `graceMs`, then SIGKILL) for it to exit. */
export async function stopDaemon(d: Daemon, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<void> {
  if (d.child.exitCode !== null || d.child.signalCode !== null || d.child.pid === undefined) return;
  const pid = d.child.pid;
  const kill = (s: NodeJS.Signals): void => {
    try {
      process.kill(-pid, s);
    } catch {
      // already gone
    }
  };
  kill(signal);
  const timer = setTimeout(() => kill('SIGKILL'), graceMs);
  await d.exited;
  clearTimeout(timer);
  kill('SIGKILL'); // anything left in the group (e.g. children of `ip netns exec`)
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}
