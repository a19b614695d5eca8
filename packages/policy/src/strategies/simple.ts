import type { HostNic, NicClassSpec } from '@multinic/crd-types';
import type { StrategyContext, StrategyOutcome, StrategyParams } from '../context.js';
import { fail, reason, takeRanked } from '../context.js';
import type { NotChosen, PolicyResult } from '../types.js';

/** `none`: the candidates in base order (pod's masters, else masterNets, else interface name), truncated to `nics`. */
export function strategyNone(ctx: StrategyContext, params: StrategyParams): PolicyResult<StrategyOutcome> {
  return takeRanked(ctx, {
    strategy: 'none',
    ranked: ctx.candidates,
    rejected: [],
    nics: params.nics,
    orderedBy: ctx.baseOrder,
  });
}

/** Lower-case hex without `0x`, so `0x15B3` and `15b3` are the same PCI id. */
export function normalizePciId(id: string): string {
  return id.trim().toLowerCase().replace(/^0x/, '');
}

function classVerdict(nic: HostNic, name: string, spec: NicClassSpec): NotChosen | undefined {
  if (nic.vendor === undefined || nic.product === undefined) {
    return reason(nic, 'no-pci-identity', `has no PCI vendor/product, so it cannot match NicClass ${name}`);
  }
  const vendorOk = normalizePciId(nic.vendor) === normalizePciId(spec.vendor);
  const products = spec.products.map(normalizePciId);
  const productOk = products.length === 0 || products.includes(normalizePciId(nic.product));
  if (vendorOk && productOk) return undefined;
  const wanted = `vendor ${spec.vendor}${products.length === 0 ? '' : ` product ${spec.products.join('|')}`}`;
  return reason(nic, 'class-mismatch', `PCI ${nic.vendor}:${nic.product} does not match NicClass ${name} (${wanted})`);
}

/** `nicClass`: only NICs whose PCI vendor/product match the named NicClass (empty `products` = any product). */
export function strategyNicClass(ctx: StrategyContext, params: StrategyParams): PolicyResult<StrategyOutcome> {
  const name = params.class;
  if (name === undefined || name === '') {
    return fail({
      code: 'missing-argument',
      message: 'strategy nicClass needs a class: set attachPolicy.class or the pod cni-arg "class"',
    });
  }
  const spec = ctx.nicClasses?.(name);
  if (spec === undefined) {
    return fail({
      code: 'unknown-class',
      message: `NicClass ${JSON.stringify(name)} does not exist: create it or name an existing NicClass`,
    });
  }
  const ranked: HostNic[] = [];
  const rejected: NotChosen[] = [];
  for (const nic of ctx.candidates) {
    const verdict = classVerdict(nic, name, spec);
    if (verdict === undefined) ranked.push(nic);
    else rejected.push(verdict);
  }
  return takeRanked(ctx, { strategy: 'nicClass', ranked, rejected, nics: params.nics, orderedBy: ctx.baseOrder });
}
