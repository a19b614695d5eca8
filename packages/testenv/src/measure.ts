// Warm start-up time of the whole control plane (etcd, kube-apiserver, kube-controller-manager, CRDs).
// A benchmark program, not a test: `node packages/testenv/dist/measure.js [--runs N]`.
// Prints a table and a final JSON line {"warm_start_ms": <median total>, ...}.
import { parseArgs } from 'node:util';
import { startTestEnv, type StartTimings } from './testenv.js';

interface Row extends StartTimings {
  readonly stopMs: number;
}

async function once(): Promise<Row> {
  const env = await startTestEnv();
  const t = Date.now();
  await env.stop();
  return { ...env.timings, stopMs: Date.now() - t };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : Math.round(((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2);
}

const COLUMNS = ['apiServerReadyMs', 'crdsEstablishedMs', 'controllerManagerReadyMs', 'totalMs', 'stopMs'] as const;

function printTable(rows: readonly Row[]): void {
  const line = (cells: readonly string[]): string => cells.map((c) => c.padStart(26)).join('');
  console.log(line(['run', ...COLUMNS]));
  rows.forEach((r, i) => console.log(line([String(i + 1), ...COLUMNS.map((c) => String(r[c]))])));
  console.log(line(['median', ...COLUMNS.map((c) => String(median(rows.map((r) => r[c]))))]));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
  const runs = Number(values.runs);
  await once(); // warm-up: page cache and first-run effects are not what "warm" measures
  const rows: Row[] = [];
  for (let i = 0; i < runs; i++) rows.push(await once());
  printTable(rows);
  const summary = {
    warm_start_ms: median(rows.map((r) => r.totalMs)),
    api_server_ready_ms: median(rows.map((r) => r.apiServerReadyMs)),
    crds_established_ms: median(rows.map((r) => r.crdsEstablishedMs)),
    runs,
  };
  console.log(JSON.stringify(summary));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
