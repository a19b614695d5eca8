// multi-nic-ipam: the IPAM plugin form. Any main plugin (macvlan, ipvlan, …) whose `ipam` block says
// `{"type": "multi-nic-ipam"}` gets one address per selected NIC from the node agent.
import { hostname } from 'node:os';
import { AGENT_SOCKET_PATH, CniErrorCode, MULTI_NIC_IPAM, parseAndConvertResult } from '@multinic/crd-types';
import type { Allocation, CniResult, CniRoute } from '@multinic/crd-types';
import { BUILD_VERSION, CniFailure, findPlugin, invalidConfig, invokeDelegate } from '@multinic/cni-skel';
import type { AttachmentArgs, CniPlugin, ConfigArgs, HandlerContext, JsonObject } from '@multinic/cni-skel';
import { awsIpvlanMode } from './aws-ipvlan.js';
import { hostLocalConfig, parseHostLocalConf } from './host-local.js';
import { AgentClient, AgentUnreachableError } from './agent-client.js';
import { podOf, podRequestOf } from './inputs.js';
import type { PodRequest } from './inputs.js';
import { NO_POD_UID, RELEASE_LEFT_TO_POD_GC, reserve } from './reserve.js';
import { WARM_UP, WARM_UP_ARGS, warmUpAgentCalls } from './warm-up.js';
import { agentGc, agentStatus, compareWithPrevResult, heldAllocations } from './verbs.js';

/** The `ipam` block of a main plugin's configuration, as multi-nic-ipam reads it. */
export interface IpamConf {
  /** The MultiNicNetwork whose pools to allocate from: `ipam.network`, else the configuration's `name`. */
  readonly network: string;
  /** `ipam.agentSocket`, else the configuration's `agentSocket`, else /run/multinic/agent.sock. */
  readonly agentSocket: string;
  /** The main plugin's `master`, if any: the NIC the address must come from. */
  readonly master?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw invalidConfig(`${field} must be a string, not ${JSON.stringify(value)}`);
  return value;
}

/** Reads the IPAM settings; every problem is a `CniFailure` (code 7) that names the field. */
export function parseIpamConf(config: JsonObject, name: string): IpamConf {
  const ipam = config['ipam'];
  if (!isObject(ipam)) throw invalidConfig(`ipam must be an object with "type": "${MULTI_NIC_IPAM}"`);
  if (ipam['type'] !== MULTI_NIC_IPAM)
    throw invalidConfig(`ipam.type must be "${MULTI_NIC_IPAM}", not ${JSON.stringify(ipam['type'])}`);
  const network = optionalString(ipam['network'], 'ipam.network') ?? name;
  const agentSocket =
    optionalString(ipam['agentSocket'], 'ipam.agentSocket') ??
    optionalString(config['agentSocket'], 'agentSocket') ??
    AGENT_SOCKET_PATH;
  const master = optionalString(config['master'], 'master');
  return { network, agentSocket, ...(master === undefined ? {} : { master }) };
}

/** The main plugin's `master` narrows the choice to that NIC unless the attachment's cni-args already name masters. */
function withMaster(request: PodRequest, master: string | undefined): PodRequest {
  const args = request.cniArgs ?? {};
  if (master === undefined || args['masters'] !== undefined || args['master'] !== undefined) return request;
  return { ...request, cniArgs: { ...args, masters: [master] } };
}

function routesOf(allocations: readonly Allocation[]): CniRoute[] {
  const out: CniRoute[] = [];
  for (const route of allocations.flatMap((a) => a.routes ?? [])) {
    if (!out.some((r) => r.dst === route.dst && r.gw === route.gw)) out.push(route);
  }
  return out;
}

/**
 * An IPAM result (no interfaces): one address per allocation, in NIC order; a dual-stack allocation's other family
 * right after its first (ADR 0006).
 */
export function ipamResult(allocations: readonly Allocation[]): CniResult {
  const routes = routesOf(allocations);
  const ip = (a: { address: string; gateway?: string | undefined }) => ({
    address: a.address,
    ...(a.gateway === undefined ? {} : { gateway: a.gateway }),
  });
  return {
    cniVersion: '1.1.0',
    ips: allocations.flatMap((a) => (a.otherFamily === undefined ? [ip(a)] : [ip(a), ip(a.otherFamily)])),
    ...(routes.length === 0 ? {} : { routes }),
  };
}

function setup(args: ConfigArgs): { conf: IpamConf; client: AgentClient } {
  const conf = parseIpamConf(args.config, args.name);
  return { conf, client: new AgentClient({ socketPath: conf.agentSocket }) };
}

function attachmentOf(conf: IpamConf, args: AttachmentArgs): { network: string; containerId: string; ifname: string } {
  return { network: conf.network, containerId: args.containerId, ifname: args.ifname };
}

/** `ipam.mode`: "agent" (default: addresses from the node agent), "host-local", or "aws-ipvlan" (specified only). */
export const IPAM_MODES = ['agent', 'host-local', 'aws-ipvlan'] as const;
export type IpamMode = (typeof IPAM_MODES)[number];

export function ipamModeOf(config: JsonObject): IpamMode {
  const ipam = config['ipam'];
  const mode =
    typeof ipam === 'object' && ipam !== null && !Array.isArray(ipam)
      ? (ipam as Record<string, unknown>)['mode']
      : undefined;
  if (mode === undefined) return 'agent';
  const known = IPAM_MODES.find((m) => m === mode);
  if (known === undefined)
    throw invalidConfig(`ipam.mode ${JSON.stringify(mode)} is not one of ${IPAM_MODES.join(', ')}`);
  return known;
}

type Modal = Pick<CniPlugin, 'add' | 'del' | 'check' | 'gc' | 'status'>;

function hostLocalCall(
  args: AttachmentArgs,
  ctx: HandlerContext,
  command: 'ADD' | 'DEL' | 'CHECK',
  extra: JsonObject = {},
): Promise<unknown> {
  const config = hostLocalConfig({
    conf: parseHostLocalConf(args.config, hostname()),
    name: args.name,
    cniVersion: args.cniVersion,
  });
  ctx.log.debug('host-local mode: delegating', { command, ipam: config['ipam'] });
  return invokeDelegate({
    type: 'host-local',
    command,
    config: { ...config, ...extra },
    path: args.path,
    containerId: args.containerId,
    netns: args.netns,
    ifname: args.ifname,
    args: args.rawArgs,
    environ: ctx.environ,
  });
}

/** host-local mode: the reference host-local with the range generated for this host and interface. */
const hostLocalMode: Modal = {
  async add(args, ctx) {
    const parsed = parseAndConvertResult(await hostLocalCall(args, ctx, 'ADD'), '1.1.0');
    if (!parsed.ok)
      throw new CniFailure({
        code: parsed.error.code,
        msg: `host-local ADD: ${parsed.error.msg}`,
        details: parsed.error.details,
      });
    return parsed.value;
  },
  async del(args, ctx) {
    await hostLocalCall(args, ctx, 'DEL');
  },
  async check(args, ctx) {
    await hostLocalCall(args, ctx, 'CHECK', { prevResult: args.prevResult as unknown as JsonObject });
  },
  async gc(_args, { log }) {
    log.debug('host-local mode: GC has nothing to forward (host-local releases on DEL)');
  },
  async status(args) {
    try {
      findPlugin('host-local', args.path);
    } catch (err) {
      throw new CniFailure({ code: CniErrorCode.PluginNotAvailable, msg: (err as Error).message });
    }
  },
};

/** The default mode: every address from the node agent. */
const agentMode: Modal = {
  async add(args, { log }) {
    const { conf, client } = setup(args);
    const pod = podOf(args.args);
    const request = withMaster(podRequestOf(args.config, args.args), conf.master);
    const { allocated } = await reserve({ client, ...attachmentOf(conf, args), netns: args.netns, pod, request, log });
    return ipamResult(allocated.allocations);
  },
  async del(args, { log }) {
    const { conf, client } = setup(args);
    const podUID = args.args['K8S_POD_UID'];
    if (podUID === undefined || podUID === '') {
      log.warn(NO_POD_UID);
      return;
    }
    try {
      const answer = await client.release({
        network: conf.network,
        containerID: args.containerId,
        ifname: args.ifname,
        podUID,
      });
      log.debug('released', { released: answer.released });
    } catch (err) {
      // An IPAM plugin keeps nothing on the node: the release is all DEL does, and the agent's pod GC guarantees it.
      if (!(err instanceof AgentUnreachableError)) throw err;
      log.warn(RELEASE_LEFT_TO_POD_GC, { socket: conf.agentSocket, err });
    }
  },
  async check(args) {
    const { conf, client } = setup(args);
    compareWithPrevResult(await heldAllocations(client, attachmentOf(conf, args)), args.prevResult);
  },
  async gc(args, { log }) {
    const { conf, client } = setup(args);
    await agentGc(client, { network: conf.network, validAttachments: args.validAttachments, log });
  },
  async status(args) {
    const { conf, client } = setup(args);
    await agentStatus(client, conf.network);
  },
};

const MODES: Record<IpamMode, Modal> = { agent: agentMode, 'host-local': hostLocalMode, 'aws-ipvlan': awsIpvlanMode };

export const multiNicIpamPlugin: CniPlugin = {
  name: MULTI_NIC_IPAM,
  version: BUILD_VERSION,
  add: (args, ctx) => MODES[ipamModeOf(args.config)].add(args, ctx),
  del: (args, ctx) => MODES[ipamModeOf(args.config)].del(args, ctx),
  check: (args, ctx) => MODES[ipamModeOf(args.config)].check(args, ctx),
  gc: (args, ctx) => MODES[ipamModeOf(args.config)].gc(args, ctx),
  status: (args, ctx) => MODES[ipamModeOf(args.config)].status(args, ctx),
  async warmUp() {
    const config: JsonObject = {
      cniVersion: '1.0.0',
      name: WARM_UP.network,
      type: 'macvlan',
      master: 'eth1',
      ipam: { type: MULTI_NIC_IPAM },
    };
    const conf = parseIpamConf(config, WARM_UP.network);
    ipamModeOf(config);
    withMaster(podRequestOf(config, WARM_UP_ARGS), conf.master);
    await warmUpAgentCalls(config, (r) => {
      const result = parseAndConvertResult(ipamResult(r.allocated.allocations), '1.0.0');
      if (!result.ok) throw new Error(`warm-up: ${result.error.msg}`);
      return result.value;
    });
  },
};
