import type { HostNic } from '@multinic/crd-types';
import { compileSelector } from '../cel.js';
import type { StrategyContext, StrategyOutcome, StrategyParams } from '../context.js';
import { fail, reason, takeRanked } from '../context.js';
import type { NotChosen, PolicyResult } from '../types.js';

/** `selector`: the candidates for which the CEL expression is true, in base order, truncated to `nics`. */
export function strategySelector(ctx: StrategyContext, params: StrategyParams): PolicyResult<StrategyOutcome> {
  const expression = params.selector;
  if (expression === undefined || expression.trim() === '') {
    return fail({
      code: 'missing-argument',
      message:
        'strategy selector needs attachPolicy.selector, a CEL expression over nic (e.g. "nic.speedMbps >= 100000")',
    });
  }
  const compiled = compileSelector(expression);
  if (!compiled.ok) return compiled;
  const ranked: HostNic[] = [];
  const rejected: NotChosen[] = [];
  for (const nic of ctx.candidates) {
    const verdict = compiled.value(nic);
    if (!verdict.ok) return verdict;
    if (verdict.value) ranked.push(nic);
    else rejected.push(reason(nic, 'selector-false', `selector ${JSON.stringify(expression)} is false for it`));
  }
  return takeRanked(ctx, { strategy: 'selector', ranked, rejected, nics: params.nics, orderedBy: ctx.baseOrder });
}
