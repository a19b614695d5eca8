// `pnpm bench cidr`: the CIDR core at cluster scale.
//   full plan   10,000 hosts x 8 NIC networks, from scratch
//   join        one more host joining that plan (NetworkPlanner, given the previous plan)
//   join (full) the same join computed by computePlan from scratch with `previous` (for comparison)
//   alloc 1M    1,000,000 allocate/release pairs on a /8 (1,000 addresses kept live, FIFO)
//   IPv6        the full plan and a join on fd00::/48 (informational: IPv6 text costs more than IPv4)
// Goals on the 2-core reference machine: full <= 100 ms, join <= 1 ms, alloc 1M <= 1,000 ms.
// Times are wall-clock medians. The "cpu/op" column is the main thread's CPU time per repetition (mean);
// when other work competes for the cores, wall time grows and that column shows what the code itself costs.
import { performance } from 'node:perf_hooks';
import { computePlan, NetworkPlanner, parsePrefix, RangeAllocator } from '@multinic/cidr-core';
import type { IpAddress, PlanConfig, PlanHost, PlanResult } from '@multinic/cidr-core';

const HOSTS = 10_000;
const NETWORKS = 8;
const REPEATS = 7;
const JOINS = 51;
const ALLOC_PAIRS = 1_000_000;
const ALLOC_LIVE = 1_000;

// 10.0.0.0/8 split by 3 interface bits (8 networks) and 14 host bits (16,384 hosts): /25 pod blocks.
const config: PlanConfig = {
  subnet: '10.0.0.0/8',
  interfaceBlock: 3,
  hostBlock: 14,
  masterNets: Array.from({ length: NETWORKS }, (_, k) => `172.${16 + k}.0.0/16`),
  excludeCIDRs: ['10.0.0.0/25', '10.32.0.128/32'],
};

// The same shape on IPv6: fd00::/48 split by 3 and 14 bits gives /65 pod blocks.
const config6: PlanConfig = {
  subnet: 'fd00::/48',
  interfaceBlock: 3,
  hostBlock: 14,
  masterNets: Array.from({ length: NETWORKS }, (_, k) => `fd10:${k + 1}::/64`),
  excludeCIDRs: ['fd00::/65'],
};

function host(i: number): PlanHost {
  const name = `node-${String(i).padStart(5, '0')}`;
  const interfaces = Array.from({ length: NETWORKS }, (_, k) => ({
    interfaceName: `eth${k + 1}`,
    netAddress: `172.${16 + k}.0.0/16`,
    hostIP: `172.${16 + k}.${(i + 1) >> 8}.${(i + 1) & 255}`,
  }));
  return { hostName: name, interfaces };
}

function host6(i: number): PlanHost {
  const name = `node-${String(i).padStart(5, '0')}`;
  const interfaces = Array.from({ length: NETWORKS }, (_, k) => ({
    interfaceName: `eth${k + 1}`,
    netAddress: `fd10:${k + 1}::/64`,
    hostIP: `fd10:${k + 1}::${(i + 1).toString(16)}`,
  }));
  return { hostName: name, interfaces };
}

/** Main-thread CPU milliseconds spent in counted `time()` calls of the current benchmark. */
let cpuSpent = 0;

function threadCpuMs(): number {
  const usage = process.threadCpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Wall milliseconds of fn; its main-thread CPU time counts towards the benchmark unless it is a warm-up. */
function time(fn: () => void, counted: boolean): number {
  const cpu = threadCpuMs();
  const start = performance.now();
  fn();
  const wall = performance.now() - start;
  if (counted) cpuSpent += threadCpuMs() - cpu;
  return wall;
}

/** Runs a benchmark; returns its wall times and the mean main-thread CPU time per timed repetition. */
function measure(run: () => number[]): { times: number[]; cpu: number } {
  cpuSpent = 0;
  const times = run();
  return { times, cpu: cpuSpent / times.length };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`benchmark result is wrong: ${message}`);
}

function planCount(result: PlanResult): number {
  return result.plan.cidr.reduce((n, entry) => n + entry.hosts.length, 0);
}

function benchFullPlan(hosts: readonly PlanHost[], planConfig = config): number[] {
  const times: number[] = [];
  for (let r = -2; r < REPEATS; r++) {
    let result: PlanResult | undefined;
    const ms = time(() => {
      result = computePlan({ networkName: 'bench', config: planConfig, hosts });
    }, r >= 0);
    check(result !== undefined && result.problems.length === 0 && planCount(result) === HOSTS * NETWORKS, 'full plan');
    if (r >= 0) times.push(ms);
  }
  return times;
}

function benchJoin(hosts: readonly PlanHost[], planConfig = config, make = host): number[] {
  const planner = new NetworkPlanner({ networkName: 'bench', config: planConfig, hosts });
  const times: number[] = [];
  for (let j = 0; j < JOINS + 5; j++) {
    const joining = make(HOSTS + j);
    let result: PlanResult | undefined;
    const ms = time(() => {
      result = planner.setHost(joining);
    }, j >= 5);
    check(
      result !== undefined && result.problems.length === 0 && planCount(result) === (HOSTS + j + 1) * NETWORKS,
      'join',
    );
    if (j >= 5) times.push(ms);
  }
  return times;
}

function benchJoinFull(hosts: readonly PlanHost[]): number[] {
  const previous = computePlan({ networkName: 'bench', config, hosts }).plan;
  const joined = [...hosts, host(HOSTS)];
  const times: number[] = [];
  for (let r = -1; r < REPEATS; r++) {
    const ms = time(() => {
      computePlan({ networkName: 'bench', config, hosts: joined, previous });
    }, r >= 0);
    if (r >= 0) times.push(ms);
  }
  return times;
}

function benchAlloc(): number[] {
  const block = parsePrefix('10.0.0.0/8');
  if (!block.ok) throw new Error(block.error);
  const times: number[] = [];
  for (let r = -1; r < 5; r++) {
    const allocator = new RangeAllocator({ block: block.value });
    const live: IpAddress[] = [];
    for (let i = 0; i < ALLOC_LIVE; i++) {
      const a = allocator.allocate();
      if (a.ok) live.push(a.value);
    }
    let head = 0;
    const ms = time(() => {
      for (let i = 0; i < ALLOC_PAIRS; i++) {
        const a = allocator.allocate();
        if (!a.ok) throw new Error(a.error);
        allocator.release(live[head] ?? a.value);
        live[head] = a.value;
        head = head + 1 === ALLOC_LIVE ? 0 : head + 1;
      }
    }, r >= 0);
    check(allocator.allocatedCount === BigInt(ALLOC_LIVE), 'allocator live count');
    if (r >= 0) times.push(ms);
  }
  return times;
}

interface Row {
  readonly name: string;
  readonly times: readonly number[];
  /** Mean main-thread CPU ms per repetition. */
  readonly cpu: number;
  readonly goal: number | undefined;
}

function printTable(rows: readonly Row[]): void {
  const pad = (text: string, n: number): string => text.padStart(n);
  console.log(
    `${'benchmark'.padEnd(34)}${pad('median ms', 11)}${pad('min', 9)}${pad('max', 9)}${pad('cpu/op', 9)}${pad('goal', 8)}  ok`,
  );
  for (const row of rows) {
    const med = median(row.times);
    const goal = row.goal === undefined ? '-' : String(row.goal);
    const okText = row.goal === undefined ? '' : med <= row.goal ? 'yes' : 'NO';
    console.log(
      `${row.name.padEnd(34)}${pad(med.toFixed(3), 11)}${pad(Math.min(...row.times).toFixed(3), 9)}` +
        `${pad(Math.max(...row.times).toFixed(3), 9)}${pad(row.cpu.toFixed(3), 9)}${pad(goal, 8)}  ${okText}`,
    );
  }
}

export function run(): void {
  const hosts = Array.from({ length: HOSTS }, (_, i) => host(i));
  const full = measure(() => benchFullPlan(hosts));
  const join = measure(() => benchJoin(hosts));
  const joinFull = measure(() => benchJoinFull(hosts));
  const alloc = measure(() => benchAlloc());
  const hosts6 = Array.from({ length: HOSTS }, (_, i) => host6(i));
  const full6 = measure(() => benchFullPlan(hosts6, config6));
  const join6 = measure(() => benchJoin(hosts6, config6, host6));
  printTable([
    { name: `full plan ${HOSTS} hosts x ${NETWORKS} nets`, ...full, goal: 100 },
    { name: 'join 1 host (NetworkPlanner)', ...join, goal: 1 },
    { name: 'join 1 host (computePlan, full)', ...joinFull, goal: undefined },
    { name: `${ALLOC_PAIRS} alloc/release on a /8`, ...alloc, goal: 1000 },
    { name: 'IPv6: full plan (fd00::/48)', ...full6, goal: undefined },
    { name: 'IPv6: join 1 host (NetworkPlanner)', ...join6, goal: undefined },
  ]);
  const round = (ms: number): number => Math.round(ms * 1000) / 1000;
  console.log(
    JSON.stringify({
      bench: 'cidr',
      hosts: HOSTS,
      networks: NETWORKS,
      full_plan_ms: round(median(full.times)),
      join_ms: round(median(join.times)),
      join_full_recompute_ms: round(median(joinFull.times)),
      alloc_1m_ms: round(median(alloc.times)),
      full_plan_v6_ms: round(median(full6.times)),
      join_v6_ms: round(median(join6.times)),
      cpu_ms: {
        full_plan: round(full.cpu),
        join: round(join.cpu),
        join_full_recompute: round(joinFull.cpu),
        alloc_1m: round(alloc.cpu),
        full_plan_v6: round(full6.cpu),
        join_v6: round(join6.cpu),
      },
      node: process.version,
    }),
  );
}
