// The local API's handlers: parse the wire request with its crd-types schema, run the decision, persist before
// answering, and hand the change to the IPPool mirror.
import type { z } from 'zod';
import type {
  Allocation,
  AllocateResponse,
  GcResponse,
  HostNic,
  LookupResponse,
  MultiNicNetwork,
  NicClassSpec,
  ReleaseResponse,
  StatusResponse,
} from '@multinic/crd-types';
import {
  AGENT_ERROR_CODES,
  AGENT_PATHS,
  AllocateRequestSchema,
  CniErrorCode,
  GcRequestSchema,
  LookupRequestSchema,
  ReleaseRequestSchema,
  SelectRequestSchema,
  StatusRequestSchema,
  formatProblem,
  parseWith,
  usesMultiNicIpam,
} from '@multinic/crd-types';
import type { Logger } from 'pino';
import type { ApiFailure } from '../errors.js';
import { failure } from '../errors.js';
import type { AgentMetrics } from '../metrics.js';
import type {
  AllocateFailure,
  AllocateFailureCode,
  AllocationRecord,
  AllocationStore,
  NicRecords,
} from '../ipam/store.js';
import { attachmentKey, recordsByNic } from '../ipam/store.js';
import { isRebuilt, rebuiltRecordMatches } from '../ipam/rebuild.js';
import type { InvalidNetwork, NicHolder } from '../select.js';
import { selectForPod, takesWholeNic } from '../select.js';
import type { Answer, Handler } from './socket.js';

export interface ApiContext {
  readonly store: AllocationStore;
  /** Writes the checkpoint; resolves once it is on disk. */
  readonly persist: () => Promise<void>;
  /** Tells the mirror these pools changed. */
  readonly changed: (pools: Iterable<string>) => void;
  readonly clock: () => number;
  readonly metrics: AgentMetrics;
  readonly log: Logger;
  readonly hostNics: () => readonly HostNic[];
  readonly network: (name: string) => MultiNicNetwork | InvalidNetwork | undefined;
  readonly nicClass: (name: string) => NicClassSpec | undefined;
  /** Why the agent cannot serve ADD yet, or undefined when it can. */
  readonly notReady: () => string | undefined;
}

function answer(f: ApiFailure): Answer {
  return { status: f.status, body: f.error };
}

/**
 * How each refused allocation is answered: the HTTP status and the CNI error code the plugins pass on to the runtime
 * (100 = exhausted, 101 = requested address unavailable, 11 = try again later, 7 = invalid configuration, 6 = bad
 * request). The plugins and the e2e tests rely on these.
 */
export const ALLOCATE_FAILURE_ANSWERS: Readonly<
  Record<AllocateFailureCode, { readonly status: number; readonly code: number }>
> = {
  NOT_READY: { status: 503, code: AGENT_ERROR_CODES.tryAgain },
  CONFLICT: { status: 409, code: AGENT_ERROR_CODES.invalidConfig },
  ADDRESS_MISMATCH: { status: 409, code: AGENT_ERROR_CODES.requestedAddressUnavailable },
  INVALID_ADDRESS: { status: 400, code: AGENT_ERROR_CODES.badRequest },
  OUT_OF_BLOCK: { status: 409, code: AGENT_ERROR_CODES.requestedAddressUnavailable },
  ONE_ADDRESS_PER_NIC: { status: 422, code: AGENT_ERROR_CODES.invalidConfig },
  ADDRESS_UNAVAILABLE: { status: 409, code: AGENT_ERROR_CODES.requestedAddressUnavailable },
  EXHAUSTED: { status: 409, code: AGENT_ERROR_CODES.exhausted },
  NIC_IN_USE: { status: 409, code: AGENT_ERROR_CODES.tryAgain },
};

/** The wire answer of a refused allocation (see ALLOCATE_FAILURE_ANSWERS). */
export function allocateFailureAnswer(f: AllocateFailure): ApiFailure {
  const { status, code } = ALLOCATE_FAILURE_ANSWERS[f.code];
  return failure({ status, code, field: f.field, msg: f.message });
}

function parse<S extends z.ZodType>(
  schema: S,
  body: unknown,
): { ok: true; value: z.output<S> } | { ok: false; answer: Answer } {
  const parsed = parseWith(schema, body);
  if (parsed.ok) return { ok: true, value: parsed.value };
  const field = parsed.problems[0]?.path;
  const msg = `invalid request: ${parsed.problems.map(formatProblem).join('; ')}`;
  return {
    ok: false,
    answer: answer(
      failure({
        status: 400,
        code: AGENT_ERROR_CODES.badRequest,
        msg,
        ...(field === undefined || field === '' ? {} : { field }),
      }),
    ),
  };
}

function ioFailure(err: unknown): Answer {
  return answer(
    failure({
      status: 500,
      code: CniErrorCode.IoFailure,
      msg: `could not write the allocation checkpoint: ${(err as Error).message}; nothing was allocated`,
    }),
  );
}

/** One address as the wire carries it: with the vlan block's prefix length, its pool's blocks and gateway. */
function addressOf(store: AllocationStore, r: AllocationRecord): Allocation['otherFamily'] & {} {
  const pool = store.poolSpec(r.pool);
  const length = store.vlanLength(r.pool) ?? (r.address.includes(':') ? 128 : 32);
  return {
    address: `${r.address}/${length}`,
    ...(pool?.gateway === undefined ? {} : { gateway: pool.gateway }),
    podCIDR: pool?.podCIDR ?? '',
    vlanCIDR: pool?.vlanCIDR ?? '',
    ippool: r.pool,
  };
}

/** One NIC's allocation: the first family's address, and on a dual-stack network the other's (ADR 0006). */
function toAllocation(store: AllocationStore, nic: NicRecords, podInterface: string): Allocation {
  const first = addressOf(store, nic.first);
  return {
    interfaceName: nic.first.interfaceName,
    podInterface,
    address: first.address,
    ...(first.gateway === undefined ? {} : { gateway: first.gateway }),
    podCIDR: first.podCIDR,
    vlanCIDR: first.vlanCIDR,
    ippool: first.ippool,
    ...(nic.other === undefined ? {} : { otherFamily: addressOf(store, nic.other) }),
  };
}

/** The families a network's `spec.subnets` declares (ADR 0006): none for `subnet` (its pools say) or an unknown network. */
function declaredFamilies(ctx: ApiContext, network: string): (4 | 6)[] {
  const n = ctx.network(network);
  if (n === undefined || 'problems' in n) return [];
  return (n.spec.subnets ?? []).map((s) => (s.cidr.includes(':') ? 6 : 4));
}

/** The family of a network's `spec.subnets[0]` (ADR 0006 decision 1), the one `Allocation.address` carries; else IPv4. */
function firstFamily(ctx: ApiContext, network: string): 4 | 6 {
  return declaredFamilies(ctx, network)[0] ?? 4;
}

/** Whether a network's delegate takes the whole NIC (an unknown or invalid network: no). */
function isWholeNic(ctx: ApiContext, network: string): boolean {
  return takesWholeNic(ctx.network(network));
}

function selectHandler(ctx: ApiContext): Handler {
  return async (body) => {
    const req = parse(SelectRequestSchema, body);
    if (!req.ok) return req.answer;
    // A dual-stack network's NIC serves a pod only with a pool of each family (ADR 0006 decision 4).
    const pooledNics = ctx.store.usableNics(req.value.network, declaredFamilies(ctx, req.value.network));
    const self = attachmentKey(req.value.network, req.value.containerID, req.value.ifname);
    const holders = (interfaceName: string): NicHolder[] =>
      ctx.store.holdersOf(interfaceName).map((r) => ({
        pod: `${r.podNamespace}/${r.podName}`,
        network: r.network,
        wholeNic: isWholeNic(ctx, r.network),
        self: attachmentKey(r.network, r.containerID, r.ifname) === self,
      }));
    const result = selectForPod(req.value, {
      hostNics: ctx.hostNics(),
      network: ctx.network(req.value.network),
      pooledNics,
      nicClass: ctx.nicClass,
      holders,
    });
    return result.ok ? { status: 200, body: result.value } : answer(result.failure);
  };
}

function allocateHandler(ctx: ApiContext): Handler {
  return async (body) => {
    const req = parse(AllocateRequestSchema, body);
    if (!req.ok) return req.answer;
    const r = req.value;
    // No pools yet (no checkpoint: the API server not reached, or the rebuild from the pods on this node not done).
    const notReady = ctx.notReady();
    if (notReady !== undefined)
      return answer(allocateFailureAnswer({ ok: false, code: 'NOT_READY', field: 'network', message: notReady }));
    const outcome = ctx.store.allocate(
      { ...r, exclusive: isWholeNic(ctx, r.network), families: declaredFamilies(ctx, r.network) },
      ctx.clock(),
    );
    if (!outcome.ok) return answer(allocateFailureAnswer(outcome));
    try {
      await ctx.persist();
    } catch (err) {
      if (outcome.value.created) ctx.store.release(r.network, r.containerID, r.ifname);
      return ioFailure(err);
    }
    const records = outcome.value.records;
    if (outcome.value.created) {
      ctx.metrics.allocations.inc({ network: r.network }, records.length);
      ctx.changed(records.map((x) => x.pool));
    }
    const response: AllocateResponse = {
      network: r.network,
      containerID: r.containerID,
      ifname: r.ifname,
      allocations: recordsByNic(records, firstFamily(ctx, r.network)).map((x, i) =>
        toAllocation(ctx.store, x, r.nics[i]?.podInterface ?? x.first.podInterface),
      ),
    };
    return { status: 200, body: response };
  };
}

async function persistReleased(
  ctx: ApiContext,
  released: readonly AllocationRecord[],
  cause: string,
): Promise<Answer | undefined> {
  if (released.length === 0) return undefined;
  ctx.metrics.releases.inc({ cause }, released.length);
  ctx.changed(released.map((x) => x.pool));
  try {
    await ctx.persist();
    return undefined;
  } catch (err) {
    return answer(
      failure({
        status: 500,
        code: CniErrorCode.IoFailure,
        msg: `released, but the checkpoint could not be written: ${(err as Error).message}`,
      }),
    );
  }
}

function releaseHandler(ctx: ApiContext): Handler {
  return async (body) => {
    const req = parse(ReleaseRequestSchema, body);
    if (!req.ok) return req.answer;
    const r = req.value;
    const held = ctx.store.attachment(r.network, r.containerID, r.ifname) ?? [];
    // A podUID that does not match the holder: another pod reuses this container ID; leave it alone. Nothing under this
    // key: what an agent without a checkpoint rebuilt for this pod from its network-status (no container ID known) goes.
    const released =
      held.length === 0
        ? ctx.store.releaseWhere((x) => rebuiltRecordMatches(x, r))
        : held.some((x) => x.podUID !== r.podUID)
          ? []
          : ctx.store.release(r.network, r.containerID, r.ifname);
    const failed = await persistReleased(ctx, released, 'cni');
    if (failed !== undefined) return failed;
    const response: ReleaseResponse = {
      released: released.map((x) => ({ interfaceName: x.interfaceName, address: x.address })),
    };
    return { status: 200, body: response };
  };
}

function gcHandler(ctx: ApiContext): Handler {
  return async (body) => {
    const req = parse(GcRequestSchema, body);
    if (!req.ok) return req.answer;
    const network = req.value.network;
    // Records rebuilt from a pod's network-status carry no container ID the runtime could name: pod GC frees them.
    const rebuilt = ctx.store.records().filter((x) => x.network === network && isRebuilt(x));
    const valid = [
      ...req.value.validAttachments,
      ...rebuilt.map((x) => ({ containerID: x.containerID, ifname: x.ifname })),
    ];
    const { released, kept } = ctx.store.gc(network, valid);
    const failed = await persistReleased(ctx, released, 'cni-gc');
    if (failed !== undefined) return failed;
    if (released.length > 0)
      ctx.log.info(
        { network: req.value.network, released: released.length, kept },
        'CNI GC released stale attachments',
      );
    const response: GcResponse = { released: released.length, kept };
    return { status: 200, body: response };
  };
}

/** Read-only: what the agent holds for one attachment, in NIC order (CHECK compares it, DEL rebuilds from it). */
function lookupHandler(ctx: ApiContext): Handler {
  return async (body) => {
    const req = parse(LookupRequestSchema, body);
    if (!req.ok) return req.answer;
    const held = ctx.store.attachment(req.value.network, req.value.containerID, req.value.ifname) ?? [];
    const response: LookupResponse = {
      allocations: recordsByNic(held, firstFamily(ctx, req.value.network)).map((x) =>
        toAllocation(ctx.store, x, x.first.podInterface),
      ),
    };
    return { status: 200, body: response };
  };
}

/** Whether ADDs of `network` need its IPPools here: not when its delegates run their own IPAM (multiNICIPAM: false). */
function needsPools(ctx: ApiContext, network: string): boolean {
  const known = ctx.network(network);
  return known === undefined || 'problems' in known || usesMultiNicIpam(known.spec);
}

function statusHandler(ctx: ApiContext): Handler {
  return async (body) => {
    const req = parse(StatusRequestSchema, body);
    if (!req.ok) return req.answer;
    const problem = ctx.notReady();
    const network = req.value.network;
    let response: StatusResponse;
    if (problem !== undefined) response = { ready: false, reason: 'NotReady', message: problem };
    else if (network !== undefined && !ctx.store.networks().has(network) && needsPools(ctx, network)) {
      response = {
        ready: false,
        reason: 'NoPool',
        message: `no IPPool of network ${network} on this node yet: the controller has not planned this node, or the agent has not seen it`,
      };
    } else response = { ready: true };
    return { status: 200, body: response };
  };
}

/** The handlers by POST path. */
export function apiRoutes(ctx: ApiContext): Record<string, Handler> {
  return {
    [AGENT_PATHS.select]: selectHandler(ctx),
    [AGENT_PATHS.allocate]: allocateHandler(ctx),
    [AGENT_PATHS.release]: releaseHandler(ctx),
    [AGENT_PATHS.gc]: gcHandler(ctx),
    [AGENT_PATHS.status]: statusHandler(ctx),
    [AGENT_PATHS.lookup]: lookupHandler(ctx),
  };
}
