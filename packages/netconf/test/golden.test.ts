// Golden JSON for every plugin type × cniVersion: the NetworkAttachmentDefinition, the per-NIC delegate configs
// and the pod route plan for the example network. `UPDATE_GOLDEN=1 pnpm test` rewrites the files; review the
// diff against the reference plugins' documented fields before committing it.
import { describe, expect, it } from '@jest/globals';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildDelegates,
  buildNetworkAttachmentDefinitions,
  parseMultiNicNetConf,
  routeCommands,
} from '../src/index.js';
import { ALL_TYPES, ALL_VERSIONS, EXAMPLE_NICS, exampleNetwork } from './fixtures.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'golden');
const update = process.env['UPDATE_GOLDEN'] === '1';

function unwrap<T>(result: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

/** Everything generated for one plugin type and version, with NAD configs parsed so the file is readable. */
function generate(type: (typeof ALL_TYPES)[number], version: (typeof ALL_VERSIONS)[number]): unknown {
  const network = exampleNetwork(type, version);
  const nads = unwrap(buildNetworkAttachmentDefinitions(network));
  const conf = unwrap(parseMultiNicNetConf(JSON.parse(nads[0]?.spec?.config ?? '{}')));
  const plan = unwrap(buildDelegates({ plugin: conf.plugin, nics: EXAMPLE_NICS, routes: conf.routes }));
  return {
    networkAttachmentDefinitions: nads.map((nad) => ({
      ...nad,
      spec: { config: JSON.parse(nad.spec?.config ?? '{}') as unknown },
    })),
    nadConfigText: nads[0]?.spec?.config,
    delegates: plan.delegates,
    podRoutes: plan.routes,
    ipCommands: routeCommands(plan.routes).map((argv) => `ip ${argv.join(' ')}`),
  };
}

describe('golden NetConf', () => {
  const cases = ALL_TYPES.flatMap((type) => ALL_VERSIONS.map((version) => ({ type, version })));

  it.each(cases)('$type, cniVersion $version', ({ type, version }) => {
    const file = path.join(dir, `${type}-${version}.json`);
    const actual = `${JSON.stringify(generate(type, version), null, 2)}\n`;
    if (update) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, actual);
    }
    expect(actual).toBe(readFileSync(file, 'utf8'));
  });

  it('has no stray golden files', () => {
    const expected = new Set(cases.map(({ type, version }) => `${type}-${version}.json`));
    const present = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(present.filter((f) => !expected.has(f))).toEqual([]);
  });
});
