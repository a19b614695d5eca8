import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from '@jest/globals';
import { spawnReaper } from './reaper.js';

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function sleeper(): { pid: number; exited: Promise<unknown> } {
  const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return { pid: child.pid ?? 0, exited };
}

describe('reaper', () => {
  it('kills the watched process groups when its pipe closes (as our death closes it), and only those', async () => {
    const reaper = spawnReaper();
    const watched = sleeper();
    const released = sleeper();
    reaper.watch(watched.pid);
    reaper.watch(released.pid);
    reaper.unwatch(released.pid);
    await sleep(200); // let the reaper read its lines
    reaper.close();
    await watched.exited;
    expect(alive(watched.pid)).toBe(false);
    expect(alive(released.pid)).toBe(true);
    process.kill(-released.pid, 'SIGKILL');
    await released.exited;
  });
});
