// What the cli tests share: `multinic` run in-process with its output captured, and the paths of the test fixtures
// and the repository's examples.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../src/main.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** A file of test/fixtures. */
export const fixture = (name: string): string => path.join(here, 'fixtures', name);

/** A file of the repository's examples/. */
export const example = (name: string): string => path.resolve(here, '../../../examples', name);

/** `multinic <argv…>` in-process, reading real files: its exit status, stdout and stderr. */
export async function cli(...argv: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const status = await runCli({
    argv,
    out: (t) => (out += t),
    err: (t) => (err += t),
    readFile: (file) => readFile(file, 'utf8'),
  });
  return { status, out, err };
}
