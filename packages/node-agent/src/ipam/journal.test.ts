// The checkpoint with the store's change journal (what the agent runs): after any sequence of allocations, releases,
// pool changes, route-table changes and commits (with rotations), the checkpoint on disk loads as the store's state.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Checkpoint } from './checkpoint/index.js';
import { CheckpointWriter, loadCheckpoint } from './checkpoint/index.js';
import type { AllocationRecord, PoolSpec } from './store.js';
import { AllocationStore } from './store.js';

const root = mkdtempSync(path.join(tmpdir(), 'mn-journal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

const eth1: PoolSpec = {
  name: 'p-eth1',
  network: 'net',
  interfaceName: 'eth1',
  podCIDR: '10.0.0.0/28',
  vlanCIDR: '10.0.0.0/24',
  excludes: [],
};
const eth2: PoolSpec = {
  name: 'p-eth2',
  network: 'net',
  interfaceName: 'eth2',
  podCIDR: '10.0.1.0/28',
  vlanCIDR: '10.0.1.0/24',
  excludes: [],
};

type Op =
  | { readonly kind: 'allocate'; readonly c: number; readonly nics: number }
  | { readonly kind: 'release'; readonly c: number }
  | { readonly kind: 'pools'; readonly which: number; readonly exclude: boolean }
  | { readonly kind: 'table'; readonly id: number }
  | { readonly kind: 'commit' };

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('allocate' as const),
      c: fc.nat({ max: 9 }),
      nics: fc.integer({ min: 1, max: 2 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('release' as const), c: fc.nat({ max: 9 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('pools' as const), which: fc.nat({ max: 2 }), exclude: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('table' as const), id: fc.integer({ min: 100, max: 102 }) }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'commit' as const }) },
);

function sorted(records: readonly AllocationRecord[]): AllocationRecord[] {
  const key = (r: AllocationRecord): string => `${r.pool} ${r.address}`;
  return [...records].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function poolsFor(which: number, exclude: boolean): PoolSpec[] {
  const e1 = exclude ? { ...eth1, excludes: ['10.0.0.2/32'] } : eth1;
  return which === 0 ? [e1, eth2] : which === 1 ? [e1] : [eth2];
}

describe('checkpoint with the store journal', () => {
  it('law: after every commit the checkpoint loads as the store (allocations, pools, route tables)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(arbOp, { minLength: 1, maxLength: 40 }),
        fc.constantFrom(0, 600, 1 << 20),
        async (ops, compactBytes) => {
          dirs += 1;
          const file = path.join(root, `d${dirs}`, 'allocations.json');
          const store = new AllocationStore();
          store.setPools([eth1, eth2]);
          let routeTables: Record<string, number> = {};
          const meta = () => ({ version: 1 as const, nodeName: 'n1', pools: store.pools(), routeTables });
          const w = new CheckpointWriter({
            file,
            compactBytes,
            snapshot: (): Checkpoint => ({ ...meta(), allocations: store.records() }),
            journal: { changes: () => store.takeChanges(), meta },
          });
          const check = (): void => {
            const loaded = loadCheckpoint(file, 0);
            expect(loaded.kind).toBe('loaded');
            if (loaded.kind !== 'loaded') return;
            expect(sorted(loaded.checkpoint.allocations)).toEqual(sorted(store.records()));
            expect(loaded.checkpoint.pools).toEqual(store.pools());
            expect(loaded.checkpoint.routeTables).toEqual(routeTables);
          };
          try {
            await w.persist();
            for (const op of ops) {
              if (op.kind === 'allocate') {
                const nics = [
                  { interfaceName: 'eth1', podInterface: 'net1-0' },
                  { interfaceName: 'eth2', podInterface: 'net1-1' },
                ].slice(0, op.nics);
                store.allocate(
                  {
                    network: 'net',
                    containerID: `c${op.c}`,
                    ifname: 'net1',
                    pod: { name: `p${op.c}`, namespace: 'ns', uid: `u${op.c}` },
                    nics,
                  },
                  1,
                );
              } else if (op.kind === 'release') store.release('net', `c${op.c}`, 'net1');
              else if (op.kind === 'pools') store.setPools(poolsFor(op.which, op.exclude));
              else if (op.kind === 'table') routeTables = { ...routeTables, net: op.id };
              else {
                await w.persist();
                check();
              }
            }
            await w.persist();
            check();
          } finally {
            await w.close();
          }
          check();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('takeChanges reports each changed address once, as it is now, and nothing after a drain', () => {
    const store = new AllocationStore();
    store.setPools([eth1]);
    expect(store.takeChanges()).toEqual({ put: [], del: [] });
    const req = (c: string) => ({
      network: 'net',
      containerID: c,
      ifname: 'net1',
      pod: { name: c, namespace: 'ns', uid: c },
      nics: [{ interfaceName: 'eth1', podInterface: 'net1-0' }],
    });
    store.allocate(req('a'), 1);
    store.allocate(req('b'), 1);
    store.release('net', 'a', 'net1');
    const changes = store.takeChanges();
    expect(changes?.put.map((r) => r.containerID)).toEqual(['b']);
    expect(changes?.del).toEqual([{ pool: 'p-eth1', address: '10.0.0.1' }]);
    expect(store.takeChanges()).toEqual({ put: [], del: [] });
    // A pool that goes away takes its records with it: they are journaled as removed.
    store.setPools([]);
    expect(store.takeChanges()).toEqual({ put: [], del: [{ pool: 'p-eth1', address: changes?.put[0]?.address }] });
  });
});
