// Benchmark runner: `node bench/run.ts <name>` (or `pnpm bench <name>`). Node 24 strips the types.
// Each benchmark prints a table and, last, one JSON line with its medians.
const benches: Record<string, string> = {
  cidr: './cidr.ts',
};

async function main(): Promise<number> {
  const name = process.argv[2];
  const path = name === undefined ? undefined : benches[name];
  if (path === undefined) {
    console.error(`usage: node bench/run.ts <${Object.keys(benches).join('|')}>`);
    return 2;
  }
  try {
    await import('@multinic/cidr-core');
  } catch (cause) {
    console.error(`cannot load @multinic/cidr-core (${String(cause)}); build it first: pnpm --filter @multinic/cidr-core run build`);
    return 1;
  }
  const bench = (await import(new URL(path, import.meta.url).href)) as { run: () => void };
  bench.run();
  return 0;
}

process.exitCode = await main();
