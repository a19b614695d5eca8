// Benchmark runner: `node bench/run.ts <name> [flags…]` (or `pnpm bench <name>`). Node 24 strips the types.
// Each benchmark prints a table and, last, one JSON line with its medians.
// `cidr` runs in this process; the others are their package's own program (they start a control plane and the
// built component), run as a child with the remaining arguments passed through.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

interface InProcess {
  readonly module: string;
}

interface Program {
  /** The benchmark program, relative to the repository root. */
  readonly file: string;
  /** The built file it runs, relative to the repository root, and the package to build when it is missing. */
  readonly built: string;
  readonly pkg: string;
  /** The turbo task that makes `built` (`build`, or `sea` for a single executable). */
  readonly task: 'build' | 'sea';
}

const benches: Record<string, InProcess | Program> = {
  cidr: { module: './cidr.ts' },
  controller: {
    file: 'packages/controller/bench/converge.ts',
    built: 'packages/controller/dist/bin.js',
    pkg: '@multinic/controller',
    task: 'build',
  },
  agent: {
    file: 'packages/node-agent/bench/alloc.ts',
    built: 'packages/node-agent/dist/bin.js',
    pkg: '@multinic/node-agent',
    task: 'build',
  },
  cni: {
    file: 'packages/cni-ipvlan/bench/cni.ts',
    built: 'dist/cni/multi-nic',
    pkg: '@multinic/cni-ipvlan',
    task: 'sea',
  },
};

const root = new URL('../', import.meta.url);

async function runCidr(module: string): Promise<number> {
  try {
    await import('@multinic/cidr-core');
  } catch (cause) {
    console.error(
      `cannot load @multinic/cidr-core (${String(cause)}); build it first: pnpm --filter @multinic/cidr-core run build`,
    );
    return 1;
  }
  const bench = (await import(new URL(module, import.meta.url).href)) as { run: () => void };
  bench.run();
  return 0;
}

function runProgram(bench: Program, args: readonly string[]): Promise<number> {
  if (!existsSync(new URL(bench.file, root))) {
    console.error(`${bench.file} does not exist (yet): this benchmark of ${bench.pkg} has not been written`);
    return Promise.resolve(1);
  }
  if (!existsSync(new URL(bench.built, root))) {
    console.error(
      `${bench.built} is missing; build it first: pnpm exec turbo run ${bench.task} --filter=${bench.pkg}...`,
    );
    return Promise.resolve(1);
  }
  const child = spawn(process.execPath, [bench.file, ...args], { cwd: root, stdio: 'inherit' });
  return new Promise((resolve) => {
    child.on('error', (err) => {
      console.error(`cannot start ${bench.file}: ${err.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}

async function main(): Promise<number> {
  const name = process.argv[2];
  const bench = name === undefined ? undefined : benches[name];
  if (bench === undefined) {
    console.error(`usage: node bench/run.ts <${Object.keys(benches).join('|')}> [flags for the benchmark]`);
    return 2;
  }
  return 'module' in bench ? runCidr(bench.module) : runProgram(bench, process.argv.slice(3));
}

process.exitCode = await main();
