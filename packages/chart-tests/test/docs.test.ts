// The chart's documentation stays true: every values.yaml key is documented and declared in values.schema.json,
// the README's values and RBAC tables are generated (UPDATE_GOLDEN=1 rewrites them), the CHANGELOG covers the
// chart version.
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { API_NEEDS, chartDir, renderReadme, valuesDocs } from '../src/index.js';

const read = (file: string): string => readFileSync(path.join(chartDir(), file), 'utf8');

interface Schema {
  $ref?: string;
  properties?: Record<string, Schema>;
  $defs?: Record<string, Schema>;
}

/** The schema node for a dotted key, following local $refs; undefined when the key is not declared. */
function schemaAt(root: Schema, key: string): Schema | undefined {
  const resolve = (s: Schema | undefined): Schema | undefined =>
    s?.$ref === undefined ? s : root.$defs?.[s.$ref.replace('#/$defs/', '')];
  let node: Schema | undefined = root;
  for (const part of key.split('.')) node = resolve(resolve(node)?.properties?.[part]);
  return node;
}

describe('values.yaml', () => {
  const docs = valuesDocs(read('values.yaml'));

  it('documents every key with a `# --` comment', () => {
    expect(docs.length).toBeGreaterThan(60);
    expect(docs.filter((d) => d.description === '').map((d) => d.key)).toEqual([]);
  });

  it('declares every key in values.schema.json (so a misspelt key is refused, a real one never is)', () => {
    const schema = JSON.parse(read('values.schema.json')) as Schema;
    expect(docs.filter((d) => schemaAt(schema, d.key) === undefined).map((d) => d.key)).toEqual([]);
    expect(schemaAt(schema, 'controller.replicaz')).toBeUndefined();
  });
});

describe('README.md', () => {
  it('has the generated values and RBAC tables', () => {
    const file = path.join(chartDir(), 'README.md');
    const readme = readFileSync(file, 'utf8');
    const wanted = renderReadme(readme, read('values.yaml'));
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, wanted);
    expect(readme).toBe(wanted);
    for (const need of API_NEEDS) expect(readme).toContain(need.source);
  });
});

describe('CHANGELOG.md', () => {
  it('has an entry for the version in Chart.yaml', () => {
    const chart = parseYaml(read('Chart.yaml')) as { version: string };
    expect(read('CHANGELOG.md')).toContain(`\n## ${chart.version}\n`);
  });
});
