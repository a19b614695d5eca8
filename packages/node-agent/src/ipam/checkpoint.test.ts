import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { Checkpoint } from './checkpoint/index.js';
import { CheckpointWriter, loadCheckpoint } from './checkpoint/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mn-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function state(n: number): Checkpoint {
  return { version: 1, nodeName: 'n1', pools: [], allocations: [], routeTables: { net: n } };
}

describe('checkpoint', () => {
  it('round-trips, is written mode 0600, and leaves no temp file', async () => {
    const file = path.join(dir, 'a', 'allocations.json');
    let n = 1;
    const w = new CheckpointWriter({ file, snapshot: () => state(n) });
    await w.persist();
    n = 2;
    await w.persist();
    expect(loadCheckpoint(file, 0)).toEqual({ kind: 'loaded', checkpoint: state(2) });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(`${file}.tmp`)).toBe(false);
    await w.close();
    n = 3;
    await w.persist();
    expect(loadCheckpoint(file, 0)).toEqual({ kind: 'loaded', checkpoint: state(3) });
    await w.close();
  });

  it('group-commits: callers during a write share the next write, and each sees a state at least as new as its call', async () => {
    const file = path.join(dir, 'b.json');
    let n = 0;
    const w = new CheckpointWriter({ file, snapshot: () => state(n) });
    const waits: Promise<void>[] = [];
    for (let i = 1; i <= 50; i++) {
      n = i;
      waits.push(
        w
          .persist()
          .then(() =>
            expect((JSON.parse(readFileSync(file, 'utf8')) as Checkpoint).routeTables['net']).toBeGreaterThanOrEqual(i),
          ),
      );
    }
    await Promise.all(waits);
    expect(w.writes).toBeLessThanOrEqual(2);
    await w.close();
  });

  it('no file is "none"; a corrupt file is moved aside and reported', () => {
    expect(loadCheckpoint(path.join(dir, 'missing.json'), 0)).toEqual({ kind: 'none' });
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, '{"version": 2}');
    const r = loadCheckpoint(file, 42);
    expect(r).toMatchObject({ kind: 'corrupt', movedTo: `${file}.corrupt-42` });
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.corrupt-42`)).toBe(true);
  });
});
