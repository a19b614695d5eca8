// Running the per-NIC delegates (the reference plugins) for one pod attachment: ADD all or undo, DEL best effort,
// CHECK each. The configurations come from @multinic/netconf; this module only executes and combines them.
import { parseAndConvertResult } from '@multinic/crd-types';
import type { CniResult } from '@multinic/crd-types';
import { CNI_OTHER_ERROR, CniFailure, invokeDelegate } from '@multinic/cni-skel';
import type { Environment, JsonObject, Logger } from '@multinic/cni-skel';
import type { Delegate, DelegatePlan } from '@multinic/netconf';
import { mergeResults } from './merge.js';
import type { DelegateOutcome } from './merge.js';
import { applyPodRoutes, checkPodRouting, placePodTables, removePodRules, settleAddresses } from './pod-ip.js';

/** What every delegate call of one attachment shares. */
export interface DelegateContext {
  readonly containerId: string;
  readonly netns: string;
  /** `CNI_ARGS` for the delegates (see `delegateArgs`). */
  readonly args: string;
  readonly path: readonly string[];
  readonly environ: Environment;
  readonly log: Logger;
}

/** CNI_ARGS keys that would override the delegate's static IPAM (`IP`, `GATEWAY`) or MAC: never passed on. */
const OVERRIDING_ARGS = new Set(['IP', 'MAC', 'GATEWAY', 'IgnoreUnknown']);

/** The attachment's CNI_ARGS for the delegates: the pod's keys with IgnoreUnknown=1, without IP/MAC/GATEWAY. */
export function delegateArgs(args: Readonly<Record<string, string>>): string {
  const kept = Object.entries(args).filter(([k]) => !OVERRIDING_ARGS.has(k));
  return ['IgnoreUnknown=1', ...kept.map(([k, v]) => `${k}=${v}`)].join(';');
}

function typeOf(delegate: Delegate): string {
  return String(delegate.config['type']);
}

function versionOf(delegate: Delegate): string {
  return String(delegate.config['cniVersion']);
}

function call(
  ctx: DelegateContext,
  delegate: Delegate,
  command: 'ADD' | 'DEL' | 'CHECK',
  config: JsonObject,
): Promise<unknown> {
  return invokeDelegate({
    type: typeOf(delegate),
    command,
    config,
    path: ctx.path,
    containerId: ctx.containerId,
    netns: ctx.netns,
    ifname: delegate.podInterface,
    args: ctx.args,
    environ: ctx.environ,
  });
}

function resultOf(delegate: Delegate, raw: unknown): CniResult {
  const parsed = parseAndConvertResult(raw, '1.1.0');
  if (!parsed.ok)
    throw new CniFailure({
      code: parsed.error.code,
      msg: `${typeOf(delegate)} ADD ${delegate.podInterface}: ${parsed.error.msg}`,
      details: parsed.error.details,
    });
  return parsed.value;
}

/**
 * DELs the given delegates, all at once (each owns its own pod interface and host device); every failure is logged
 * and returned in the delegates' order, none stops the others.
 */
export async function delDelegates(ctx: DelegateContext, delegates: readonly Delegate[]): Promise<CniFailure[]> {
  const outcomes = await Promise.all(
    delegates.map(async (delegate) => {
      try {
        await call(ctx, delegate, 'DEL', delegate.config);
        return undefined;
      } catch (err) {
        const failure =
          err instanceof CniFailure ? err : new CniFailure({ code: CNI_OTHER_ERROR, msg: String(err), cause: err });
        ctx.log.error('delegate DEL failed', { podInterface: delegate.podInterface, err: failure });
        return failure;
      }
    }),
  );
  return outcomes.filter((f): f is CniFailure => f !== undefined);
}

export interface AddOptions {
  /** A MAC the pod asked for: requested from the first delegate (`runtimeConfig.mac`) and verified in its result. */
  readonly mac?: string;
}

function withMac(delegate: Delegate, mac: string | undefined): JsonObject {
  if (mac === undefined) return delegate.config;
  const runtime = (delegate.config['runtimeConfig'] ?? {}) as JsonObject;
  return { ...delegate.config, runtimeConfig: { ...runtime, mac } };
}

function checkMac(outcome: DelegateOutcome, mac: string): void {
  const iface = outcome.result.interfaces?.find((i) => i.name === outcome.podInterface);
  if (iface?.mac?.toLowerCase() !== mac.toLowerCase()) {
    throw new CniFailure({
      code: CNI_OTHER_ERROR,
      msg: `the pod asked for MAC ${mac} but ${outcome.podInterface} got ${iface?.mac ?? 'no MAC'}`,
    });
  }
}

/** A delegate's ADD output, read and converted to the newest version. */
export function outcomeOf(delegate: Delegate, raw: unknown): DelegateOutcome {
  return { podInterface: delegate.podInterface, result: resultOf(delegate, raw) };
}

async function addOne(
  ctx: DelegateContext,
  delegate: Delegate,
  mac: string | undefined,
  added: Delegate[],
): Promise<DelegateOutcome> {
  const raw = await call(ctx, delegate, 'ADD', withMac(delegate, mac));
  added.push(delegate);
  const outcome = outcomeOf(delegate, raw);
  if (mac !== undefined) checkMac(outcome, mac);
  ctx.log.debug('delegate added', { podInterface: delegate.podInterface, hostInterface: delegate.hostInterface });
  return outcome;
}

/**
 * Runs the delegates' ADDs one after the other, in the plan's order: the pod's interfaces are then created (and
 * numbered by the kernel) in NIC order. Running them at once measured no faster here (link creation and moves
 * between namespaces serialize in the kernel) and made the order of the pod's links vary.
 */
async function addAll(
  ctx: DelegateContext,
  plan: DelegatePlan,
  options: AddOptions,
  added: Delegate[],
): Promise<DelegateOutcome[]> {
  const outcomes: DelegateOutcome[] = [];
  for (const [i, delegate] of plan.delegates.entries())
    outcomes.push(await addOne(ctx, delegate, i === 0 ? options.mac : undefined, added));
  return outcomes;
}

/**
 * ADDs every delegate in order, then the pod routes (their policy-routing tables placed where the pod's namespace
 * has free ones, so each attachment of a pod has its own), and returns the merged result. If anything fails, the
 * delegates already added are DELeted (and the source rules removed) before the error is passed on.
 */
export async function addDelegates(
  ctx: DelegateContext,
  plan: DelegatePlan,
  options: AddOptions = {},
): Promise<CniResult> {
  const added: Delegate[] = [];
  try {
    const outcomes = await addAll(ctx, plan, options, added);
    // IPv6 addresses must leave DAD before they are used (as sources of the pod routes and of the first packets).
    const v6 = outcomes.filter((o) => (o.result.ips ?? []).some((ip) => ip.address.includes(':')));
    if (v6.length > 0)
      await settleAddresses(
        ctx.netns,
        v6.map((o) => o.podInterface),
        ctx.environ,
      );
    const routes = await placePodTables(ctx.netns, plan.routes, ctx.environ);
    await applyPodRoutes(ctx.netns, routes, ctx.environ);
    ctx.log.debug('pod routes applied', { tables: routes.rules.map((r) => r.table) });
    return mergeResults(outcomes, ctx.netns);
  } catch (err) {
    ctx.log.warn('ADD failed: undoing the delegates already added', { added: added.map((d) => d.podInterface), err });
    if (added.length > 0)
      await removePodRules(ctx.netns, plan.routes, ctx.environ).catch((e: unknown) =>
        ctx.log.error('could not remove pod rules', { err: e }),
      );
    await delDelegates(ctx, added);
    throw err;
  }
}

/** The part of a merged result that belongs to one delegate, as that delegate's CHECK expects it. */
export function delegatePrevResult(prev: CniResult, delegate: Delegate, netns: string): CniResult {
  const index = (prev.interfaces ?? []).findIndex((i) => i.name === delegate.podInterface && i.sandbox === netns);
  const iface = prev.interfaces?.[index];
  if (iface === undefined)
    throw new CniFailure({
      code: CNI_OTHER_ERROR,
      msg: `prevResult has no interface ${delegate.podInterface} in ${netns}`,
    });
  const ipam = (delegate.config['ipam'] ?? {}) as { routes?: { dst: string; gw?: string }[] };
  const routes = ipam.routes ?? [];
  const result: CniResult = {
    cniVersion: '1.1.0',
    interfaces: [iface],
    ips: (prev.ips ?? []).filter((ip) => ip.interface === index).map((ip) => ({ ...ip, interface: 0 })),
    ...(routes.length === 0 ? {} : { routes }),
  };
  const converted = parseAndConvertResult(result, versionOf(delegate));
  if (!converted.ok)
    throw new CniFailure({
      code: converted.error.code,
      msg: `prevResult for ${delegate.podInterface}: ${converted.error.msg}`,
      details: converted.error.details,
    });
  return converted.value;
}

const CHECK_SINCE: readonly string[] = ['0.4.0', '1.0.0', '1.1.0'];

/**
 * CHECKs every delegate against its part of prevResult (delegates configured below 0.4.0 have no CHECK), then the
 * pod's source rules, their tables' routes and the multipath routes (a missing one fails, named).
 */
export async function checkDelegates(ctx: DelegateContext, plan: DelegatePlan, prev: CniResult): Promise<void> {
  for (const delegate of plan.delegates) {
    const prevResult = delegatePrevResult(prev, delegate, ctx.netns);
    if (!CHECK_SINCE.includes(versionOf(delegate))) continue;
    await call(ctx, delegate, 'CHECK', { ...delegate.config, prevResult });
  }
  await checkPodRouting(ctx.netns, plan.routes, ctx.environ);
}
