// The CRD YAML in charts/multinic/crds is generated; this fails on any difference from a fresh generation.
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { generateCrds, renderCrdFiles } from '@multinic/crd-types';

const crdDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../charts/multinic/crds');
const FIX = 'run `node scripts/gen-crds.ts` (after `pnpm --filter @multinic/crd-types build`) and commit the result';

describe('generated CRDs', () => {
  const { files, problems } = renderCrdFiles(stringify);

  it('every schema converts to a structural schema', () => {
    expect(problems).toEqual([]);
  });

  it.each([...files.keys()])('charts/multinic/crds/%s matches a fresh generation', (name) => {
    let committed: string | undefined;
    try {
      committed = readFileSync(path.join(crdDir, name), 'utf8');
    } catch {
      committed = undefined;
    }
    if (committed !== files.get(name)) {
      throw new Error(
        `charts/multinic/crds/${name} ${committed === undefined ? 'is missing' : 'differs from the zod schemas'}: ${FIX}`,
      );
    }
  });

  it('there are no stale CRD files', () => {
    const stale = readdirSync(crdDir).filter((f) => f.endsWith('.multinic.dev.yaml') && !files.has(f));
    if (stale.length > 0) throw new Error(`stale files in charts/multinic/crds: ${stale.join(', ')}: ${FIX}`);
  });

  it('the YAML parses back to exactly the generated objects', () => {
    const { crds } = generateCrds();
    for (const crd of crds) {
      const text = files.get(`${crd.metadata.name}.yaml`) ?? '';
      expect(parse(text)).toEqual(JSON.parse(JSON.stringify(crd)));
    }
  });
});
