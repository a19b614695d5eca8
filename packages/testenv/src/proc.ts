import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestEnvError } from './errors.js';
import { sharedReaper } from './reaper.js';

/** How to start one long-running component. */
export interface ProcessSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** stdout and stderr are appended here (a file, so the process can outlive us in CLI mode). */
  readonly logPath: string;
  /** false: the process outlives this Node process (the CLI's `up`); true (default): killed when we die. */
  readonly reap?: boolean;
}

/** A started component: its own process group, killed as a group. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** Resolves with a description of how it ended ("exit code 1", "signal SIGKILL"). */
  readonly exited: Promise<string>;
  isRunning(): boolean;
  /** SIGTERM the group, SIGKILL it after `graceMs` (0: SIGKILL at once); resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** The log so far (empty if unreadable). */
  log(): string;
}

const allGroups = new Set<number>();
let exitHookInstalled = false;

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous last resort on a normal exit; the reaper covers signals and crashes.
  process.on('exit', () => {
    for (const pgid of allGroups) killGroup(pgid, 'SIGKILL');
  });
}

/** Start `spec` as the leader of a new process group with its output in `spec.logPath`. */
export function startProcess(spec: ProcessSpec): ManagedProcess {
  const fd = openSync(spec.logPath, 'a');
  let child;
  try {
    child = spawn(spec.command, [...spec.args], { detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    throw new TestEnvError('START_FAILED', `testenv: could not start ${spec.name} (${spec.command})`);
  }
  child.unref();
  const reap = spec.reap ?? true;
  if (reap) {
    installExitHook();
    allGroups.add(pid);
    sharedReaper().watch(pid);
  }
  let running = true;
  const exited = new Promise<string>((resolve) => {
    child.on('error', (err) => {
      running = false;
      resolve(`spawn error: ${err.message}`);
    });
    child.on('exit', (code, signal) => {
      running = false;
      if (reap) {
        allGroups.delete(pid);
        sharedReaper().unwatch(pid);
      }
      resolve(signal === null ? `exit code ${String(code)}` : `signal ${signal}`);
    });
  });
  const stop = async (graceMs = 0): Promise<void> => {
    if (!running) return;
    child.ref(); // an unref'd child would let the event loop end before its exit is seen
    killGroup(pid, graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
    if (graceMs > 0) {
      const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!done) killGroup(pid, 'SIGKILL');
    }
    await exited;
  };
  return {
    name: spec.name,
    pid,
    logPath: spec.logPath,
    exited,
    isRunning: () => running,
    stop,
    log: () => readLog(spec.logPath),
  };
}

/** The contents of a log file, or '' when it cannot be read. */
export function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Kill a process group we do not hold a handle for (the CLI's `down`); resolves once its leader is gone. */
export async function killProcessGroup(pgid: number, graceMs: number): Promise<void> {
  killGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (processAlive(pgid) && Date.now() < deadline) await sleep(50);
  if (!processAlive(pgid)) return;
  killGroup(pgid, 'SIGKILL');
  for (let i = 0; i < 40 && processAlive(pgid); i++) await sleep(50);
}

/** Whether `pid` exists and is not a zombie (an orphan's zombie may linger until init reaps it). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
