import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from '@jest/globals';
import { spawnReaper } from '../src/reaper.js';
import { eventually } from '../src/wait.js';

function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('this test creates network namespaces: run it as root (CI does)');
}

function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '');
}

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

  it('deletes the watched network namespaces when its pipe closes, and only those', async () => {
    requireRoot();
    const id = Math.random().toString(16).slice(2, 8);
    const [watched, released] = [`mn-reaper-${id}-a`, `mn-reaper-${id}-b`];
    try {
      for (const ns of [watched, released]) execFileSync('ip', ['netns', 'add', ns]);
      const reaper = spawnReaper();
      reaper.watchNetns(watched);
      reaper.watchNetns(released);
      reaper.unwatchNetns(released);
      await sleep(200);
      reaper.close();
      await eventually(() => expect(namespaces()).not.toContain(watched));
      expect(namespaces()).toContain(released);
    } finally {
      for (const ns of namespaces().filter((n) => n === watched || n === released))
        execFileSync('ip', ['netns', 'delete', ns]);
    }
  });

  it('deletes the watched directories when its pipe closes, and only those', async () => {
    const base = mkdtempSync(path.join(tmpdir(), 'mn-reaper-dirs-'));
    try {
      const [watched, released] = [path.join(base, 'watched'), path.join(base, 'released')];
      for (const dir of [watched, released]) {
        mkdirSync(path.join(dir, 'etcd'), { recursive: true });
        writeFileSync(path.join(dir, 'etcd', 'db'), 'data');
      }
      const reaper = spawnReaper();
      reaper.watchDir(watched);
      reaper.watchDir(released);
      reaper.unwatchDir(released);
      reaper.close();
      await eventually(() => expect(existsSync(watched)).toBe(false));
      expect(existsSync(path.join(released, 'etcd', 'db'))).toBe(true);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
