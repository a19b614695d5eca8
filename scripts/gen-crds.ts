// Writes charts/multinic/crds/<plural>.multinic.dev.yaml from the zod schemas of @multinic/crd-types.
// Usage: node scripts/gen-crds.ts   (builds nothing itself: run `pnpm --filter @multinic/crd-types build` first;
// `pnpm gen:crds` does both through turbo's cache when wired so). The drift test checks the result.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const packageDir = path.join(root, 'packages/crd-types');
const dist = path.join(packageDir, 'dist/index.js');
const outDir = path.join(root, 'charts/multinic/crds');

if (!existsSync(dist)) {
  console.error('gen-crds: packages/crd-types/dist is missing: run `pnpm --filter @multinic/crd-types build` first');
  process.exit(1);
}

// `yaml` is a devDependency of crd-types; resolve it from there.
const { stringify } = createRequire(path.join(packageDir, 'package.json'))('yaml') as {
  stringify: (value: unknown, options: object) => string;
};
const { renderCrdFiles } = (await import(
  pathToFileURL(dist).href
)) as typeof import('../packages/crd-types/src/index.ts');

const { files, problems } = renderCrdFiles(stringify);
if (problems.length > 0) {
  console.error(`gen-crds: the schemas are not structural:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });
let changed = 0;
for (const [name, text] of files) {
  const file = path.join(outDir, name);
  const before = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (before !== text) {
    writeFileSync(file, text);
    changed += 1;
    console.log(`wrote ${path.relative(root, file)}`);
  }
}
for (const name of readdirSync(outDir)) {
  if (name.endsWith('.multinic.dev.yaml') && !files.has(name)) {
    rmSync(path.join(outDir, name));
    changed += 1;
    console.log(`removed stale ${path.relative(root, path.join(outDir, name))}`);
  }
}
console.log(`gen-crds: ${files.size} CRDs, ${changed} file(s) changed`);
