// `helm lint --strict` (warnings are errors) with the defaults and with each value set.
import { describe, expect, it } from '@jest/globals';
import { chartDir, helm } from '../src/index.js';
import { VALUE_SETS } from './support.js';

describe('helm lint --strict', () => {
  it.each(VALUE_SETS)('passes with the $name values', async ({ files }) => {
    const out = await helm({
      args: [
        'lint',
        '--strict',
        chartDir(),
        '--namespace',
        'multinic-system',
        ...files.flatMap((f) => ['--values', f]),
      ],
    });
    expect(out).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(out).not.toMatch(/\[(WARNING|ERROR)\]/);
  });

  it('fails a chart whose values break the schema (the lint can fail)', async () => {
    await expect(
      helm({ args: ['lint', '--strict', chartDir(), '--set', 'controller.replicas=0'] }),
    ).rejects.toMatchObject({ code: 'HELM_FAILED' });
  });
});
