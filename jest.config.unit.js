// The fast tier (CONVENTIONS.md §11): every src/**/*.test.ts of every workspace package, in one jest run, from
// sources — no build, no control plane, no root. `pnpm test:unit`; `pnpm test:watch [path]` for the inner loop.
// test/ folders (packed packages, executables, the control plane, network namespaces) run in `./run test` only.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jestConfig } from './jest.config.base.js';

const root = path.dirname(fileURLToPath(import.meta.url));

/** The workspace's package folders, from pnpm-workspace.yaml (`- "packages/*"`, `- "e2e"`, ...). */
function workspaceDirs() {
  const globs = readFileSync(path.join(root, 'pnpm-workspace.yaml'), 'utf8')
    .split('\n')
    .map((line) => /^\s*-\s*["']?([^"'#]+?)["']?\s*$/.exec(line)?.[1])
    .filter((glob) => glob !== undefined);
  return globs.flatMap((glob) => {
    if (!glob.endsWith('/*')) return [path.join(root, glob)];
    const parent = path.join(root, glob.slice(0, -2));
    return readdirSync(parent, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => path.join(parent, entry.name));
  });
}

const roots = workspaceDirs()
  .map((dir) => path.join(dir, 'src'))
  .filter((src) => existsSync(src));

const base = jestConfig({ testMatch: ['**/*.test.ts'] });

export default {
  ...base,
  rootDir: root,
  roots,
  reporters: ['default'],
};
