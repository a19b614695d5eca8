// The pure boundary (CONVENTIONS.md §1) is a lint rule in the root eslint.config.js; this test keeps it from
// silently disappearing. It lints snippets with the real configuration as if they were files of the pure packages.
// Only the no-restricted-* rules run, without type information, so the snippets need not exist on disk.
import { describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const eslint = new ESLint({
  cwd: root,
  ruleFilter: ({ ruleId }) => ruleId.startsWith('no-restricted-'),
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
});

async function reported(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  if (!result) throw new Error(`no lint result for ${file}`);
  return result.messages.map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

const purePackages = ['cidr-core', 'crd-types', 'policy', 'netconf'];

const violations = [
  {
    what: 'node:fs',
    code: "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n",
    rule: 'no-restricted-imports',
  },
  { what: 'bare fs', code: "import * as fs from 'fs';\nexport const f = fs;\n", rule: 'no-restricted-imports' },
  { what: 'fs/promises', code: "export { readFile } from 'node:fs/promises';\n", rule: 'no-restricted-imports' },
  {
    what: 'child_process',
    code: "import { spawn } from 'node:child_process';\nexport const f = spawn;\n",
    rule: 'no-restricted-imports',
  },
  {
    what: 'node:net',
    code: "import { connect } from 'node:net';\nexport const f = connect;\n",
    rule: 'no-restricted-imports',
  },
  { what: 'node:http', code: "import http from 'node:http';\nexport const f = http;\n", rule: 'no-restricted-imports' },
  { what: 'https', code: "import https from 'https';\nexport const f = https;\n", rule: 'no-restricted-imports' },
  {
    what: 'node:dgram',
    code: "import dgram from 'node:dgram';\nexport const f = dgram;\n",
    rule: 'no-restricted-imports',
  },
  { what: 'dynamic import', code: "export const f = () => import('node:fs');\n", rule: 'no-restricted-syntax' },
  { what: 'process.env', code: "export const home = process.env['HOME'];\n", rule: 'no-restricted-properties' },
  { what: 'Date.now', code: 'export const now = Date.now();\n', rule: 'no-restricted-properties' },
  { what: 'new Date()', code: 'export const now = new Date();\n', rule: 'no-restricted-syntax' },
  { what: 'Math.random', code: 'export const r = Math.random();\n', rule: 'no-restricted-properties' },
];

describe('pure packages: sources', () => {
  const cases = purePackages.flatMap((pkg) =>
    violations.flatMap((v) => [
      { ...v, file: `packages/${pkg}/src/snippet.ts` },
      { ...v, file: `packages/${pkg}/src/snippet.test.ts` },
    ]),
  );
  it.each(cases)('$file: $what is reported by $rule', async ({ file, code, rule }) => {
    expect(await reported(file, code)).toEqual([rule]);
  });

  it.each(purePackages)('packages/%s/src: pure imports, a date from an argument and default exports', async (pkg) => {
    const code = [
      "import path from 'node:path';",
      'export const at = (ms: number) => new Date(ms);',
      'export const base = path.posix.basename;',
      'export default at;',
      '',
    ].join('\n');
    expect(await reported(`packages/${pkg}/src/snippet.ts`, code)).toEqual(['no-restricted-syntax']);
  });
});

describe('pure packages: test/ (integration tier)', () => {
  it.each(purePackages)('packages/%s/test may read fixtures, run plugins and read the environment', async (pkg) => {
    const code = [
      "import { readFileSync } from 'node:fs';",
      "import { spawnSync } from 'node:child_process';",
      "export const uses = [readFileSync, spawnSync, process.env['UPDATE_GOLDEN']];",
      '',
    ].join('\n');
    expect(await reported(`packages/${pkg}/test/snippet.test.ts`, code)).toEqual([]);
  });

  it.each(purePackages)('packages/%s/test still opens no socket and reads no clock', async (pkg) => {
    const code = "import { createServer } from 'node:net';\nexport const uses = [createServer, Date.now()];\n";
    expect(await reported(`packages/${pkg}/test/snippet.test.ts`, code)).toEqual([
      'no-restricted-imports',
      'no-restricted-properties',
    ]);
  });
});

describe('adapters', () => {
  it.each(['controller', 'node-agent', 'cni-skel'])('packages/%s/src may do I/O', async (pkg) => {
    const code =
      "import { readFileSync } from 'node:fs';\nexport const uses = [readFileSync, Date.now(), process.env['X']];\n";
    expect(await reported(`packages/${pkg}/src/snippet.ts`, code)).toEqual([]);
  });
});
