import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { crdFiles, loadCrds } from './crds.js';

const dir = mkdtempSync(path.join(tmpdir(), 'testenv-crds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function crd(name: string): string {
  return `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ${name}\nspec: {}\n`;
}

describe('loading CRD files', () => {
  it('expands directories to their YAML files in name order and keeps every CRD document', () => {
    const d = mkdtempSync(path.join(dir, 'chart-'));
    writeFileSync(path.join(d, 'b.yaml'), crd('bs.x.io'));
    writeFileSync(path.join(d, 'a.yml'), `${crd('as.x.io')}---\n${crd('as2.x.io')}---\n`);
    writeFileSync(path.join(d, 'README.md'), '# not a manifest');
    const files = crdFiles([d]);
    expect(files.map((f) => path.basename(f))).toEqual(['a.yml', 'b.yaml']);
    expect(loadCrds(files).map((s) => s.crd.metadata?.name)).toEqual(['as.x.io', 'as2.x.io', 'bs.x.io']);
  });

  it('keeps the manifest as written, including x-kubernetes-* keys that typed models would drop', () => {
    const file = path.join(dir, 'cel.yaml');
    const rule = { rule: 'self.a <= self.b', message: 'a must not exceed b' };
    writeFileSync(
      file,
      `${crd('cels.x.io')}  versions:\n    - schema:\n        x-kubernetes-validations:\n          - ${JSON.stringify(rule)}\n`.replace(
        'spec: {}\n',
        'spec:\n',
      ),
    );
    const [source] = loadCrds([file]);
    expect(JSON.parse(JSON.stringify(source?.crd.spec))).toEqual({
      versions: [{ schema: { 'x-kubernetes-validations': [rule] } }],
    });
  });

  it.each([
    {
      case: 'another kind',
      text: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n',
      error: /found kind ConfigMap/,
    },
    { case: 'v1beta1 CRD', text: crd('x.io').replace('/v1', '/v1beta1'), error: /expected apiextensions.k8s.io\/v1/ },
    { case: 'broken YAML', text: 'kind: [unclosed', error: /not valid YAML/ },
  ])('rejects a file with $case, naming the file', ({ text, error }) => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, text);
    expect(() => loadCrds([file])).toThrow(error);
    expect(() => loadCrds([file])).toThrow(file);
  });
});
