// Network namespaces for tests: created with `ip netns add` and registered with this process's reaper, so they are
// deleted even when the test process is killed before its own cleanup runs.
import { execFileSync } from 'node:child_process';
import { sharedReaper } from './reaper.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** `ip netns add <name>`; the namespace is deleted by the reaper if this process dies before `deleteNetns`. */
export function addNetns(name: string): string {
  if (!NAME.test(name))
    throw new Error(
      `network namespace name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-' (at most 63)`,
    );
  execFileSync('ip', ['netns', 'add', name], { stdio: ['ignore', 'ignore', 'pipe'] });
  // Only once it is ours: a name that already existed (and made the add fail) is not the reaper's to delete.
  sharedReaper().watchNetns(name);
  return name;
}

/** `ip netns delete <name>`; a namespace that is already gone is fine. */
export function deleteNetns(name: string): void {
  try {
    execFileSync('ip', ['netns', 'delete', name], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    if (!/No such file or directory|not found/i.test(String((err as { stderr?: unknown }).stderr ?? err))) throw err;
  }
  sharedReaper().unwatchNetns(name);
}
