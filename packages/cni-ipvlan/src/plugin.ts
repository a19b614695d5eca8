// multi-nic: the main plugin of every multinic NetworkAttachmentDefinition. It stays thin: the node agent selects
// NICs and allocates addresses, the reference plugins create the interfaces, `ip` applies the pod routes.
import { existsSync } from 'node:fs';
import type { Allocation, CniResult, MultiNicNetwork } from '@multinic/crd-types';
import {
  AgentClient,
  AgentUnreachableError,
  WARM_UP,
  WARM_UP_ARGS,
  agentGc,
  agentStatus,
  compareWithPrevResult,
  heldAllocations,
  NO_POD_UID,
  RELEASE_LEFT_TO_POD_GC,
  podOf,
  podRequestOf,
  releaseQuietly,
  reserve,
  selectNics,
  warmUpAgentCalls,
} from '@multinic/cni-ipam';
import type { PodRequest } from '@multinic/cni-ipam';
import { BUILD_VERSION, invalidConfig, invokeDelegate } from '@multinic/cni-skel';
import type { CniFailure } from '@multinic/cni-skel';
import type { AttachmentArgs, CniPlugin, ConfigArgs, DelArgs, HandlerContext } from '@multinic/cni-skel';
import {
  MAC_CAPABLE_TYPES,
  MULTI_NIC_CNI_TYPE,
  buildDelegates,
  buildPassThroughDelegates,
  nadConfig,
  parseMultiNicNetConf,
  podInterfaceName,
  routeCommands,
} from '@multinic/netconf';
import type {
  Delegate,
  DelegateNic,
  DelegatePlan,
  MultiNicNetConf,
  PassThroughNic,
  PluginConfig,
} from '@multinic/netconf';
import {
  addDelegates,
  checkDelegates,
  delDelegates,
  delegateArgs,
  delegatePrevResult,
  outcomeOf,
} from './delegates.js';
import { mergeResults } from './merge.js';
import type { DelegateContext } from './delegates.js';
import { batchesOf, listPodLinks, removePodLinks, removePodRules, ruleRemovals } from './pod-ip.js';

/** Delegate types whose pod interface is a virtual link this plugin may delete itself when the agent lost its record. */
const VIRTUAL_LINKS: readonly string[] = ['ipvlan', 'aws-ipvlan', 'macvlan'];

/** The NAD configuration, validated before anything else happens. */
export function netConfOf(args: ConfigArgs): MultiNicNetConf {
  const conf = parseMultiNicNetConf(args.config);
  if (!conf.ok) throw invalidConfig(conf.error);
  const type = conf.value.ipam['type'];
  if (!conf.value.multiNICIPAM && (typeof type !== 'string' || type === '')) {
    throw invalidConfig(
      `multiNICIPAM is false, so every delegate runs the network's own IPAM, but ipam.type is ${JSON.stringify(type ?? null)}: name the IPAM plugin (e.g. "host-local"), or set multiNICIPAM: true for addresses from the multinic node agent`,
    );
  }
  return conf.value;
}

function checkRequest(conf: MultiNicNetConf, request: PodRequest): void {
  if (request.mac !== undefined && !MAC_CAPABLE_TYPES.includes(conf.plugin.type)) {
    throw invalidConfig(
      `the pod asks for MAC ${request.mac}, but ${conf.plugin.type} interfaces cannot take a chosen MAC: use macvlan or sriov, or drop the mac request`,
    );
  }
}

function delegateNic(a: Allocation, pciAddress: string | undefined): DelegateNic {
  return {
    interfaceName: a.interfaceName,
    podInterface: a.podInterface,
    address: a.address,
    vlanCIDR: a.vlanCIDR,
    ...(a.gateway === undefined ? {} : { gateway: a.gateway }),
    ...(a.routes === undefined ? {} : { routes: a.routes }),
    ...(pciAddress === undefined ? {} : { pciAddress }),
    // A dual-stack NIC (ADR 0006): the delegate's static IPAM, the rules and the result carry both addresses.
    ...(a.otherFamily === undefined ? {} : { otherFamily: a.otherFamily }),
  };
}

function plan(plugin: PluginConfig, conf: MultiNicNetConf, nics: readonly DelegateNic[]): DelegatePlan {
  const built = buildDelegates({ plugin, nics, routes: conf.routes });
  if (!built.ok) throw invalidConfig(built.error);
  return built.value;
}

/** `multiNICIPAM: false`: one delegate per selected NIC, each with the network's own `ipam` as written. */
function passThroughPlan(conf: MultiNicNetConf, nics: readonly PassThroughNic[]): DelegatePlan {
  const built = buildPassThroughDelegates({ plugin: conf.plugin, nics, network: conf.name, ipam: conf.ipam });
  if (!built.ok) throw invalidConfig(built.error);
  return built.value;
}

function contextOf(args: AttachmentArgs, ctx: HandlerContext): DelegateContext {
  return {
    containerId: args.containerId,
    netns: args.netns,
    args: delegateArgs(args.args),
    path: args.path,
    environ: ctx.environ,
    log: ctx.log,
  };
}

function attachmentOf(
  conf: MultiNicNetConf,
  args: AttachmentArgs,
): { network: string; containerId: string; ifname: string } {
  return { network: conf.name, containerId: args.containerId, ifname: args.ifname };
}

async function add(args: AttachmentArgs, ctx: HandlerContext): Promise<CniResult> {
  const conf = netConfOf(args);
  const pod = podOf(args.args);
  const request = podRequestOf(args.config, args.args);
  checkRequest(conf, request);
  const client = new AgentClient({ socketPath: conf.agentSocket });
  const attachment = attachmentOf(conf, args);
  if (!conf.multiNICIPAM) {
    const selected = await selectNics({ client, ...attachment, pod, request, log: ctx.log });
    const nics = selected.nics.map((n) => ({
      interfaceName: n.interfaceName,
      podInterface: n.podInterface,
      ...(n.pciAddress === undefined ? {} : { pciAddress: n.pciAddress }),
    }));
    return addDelegates(
      contextOf(args, ctx),
      passThroughPlan(conf, nics),
      request.mac === undefined ? {} : { mac: request.mac },
    );
  }
  const { selected, allocated } = await reserve({
    client,
    ...attachment,
    netns: args.netns,
    pod,
    request,
    log: ctx.log,
  });
  try {
    const pci = new Map(selected.nics.map((n) => [n.interfaceName, n.pciAddress]));
    const nics = allocated.allocations.map((a) => delegateNic(a, pci.get(a.interfaceName)));
    return await addDelegates(
      contextOf(args, ctx),
      plan(conf.plugin, conf, nics),
      request.mac === undefined ? {} : { mac: request.mac },
    );
  } catch (err) {
    await releaseQuietly(client, { ...attachment, podUID: pod.uid, log: ctx.log });
    throw err;
  }
}

/** DEL only needs a device spec that passes the reference plugin's validation: host-device moves CNI_IFNAME back by name. */
function pluginForDel(plugin: PluginConfig): PluginConfig {
  return plugin.type === 'host-device' ? { ...plugin, pciBusID: false } : plugin;
}

/** The pod interfaces of this attachment when the agent has no record: prevResult's, else the links named `<ifname>` or `<ifname>-<i>` (podInterfaceName). */
async function orphanLinks(args: DelArgs, ctx: HandlerContext): Promise<string[]> {
  const pattern = new RegExp(`^${args.ifname.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(-\\d+)?$`);
  const fromPrev = (args.prevResult?.interfaces ?? [])
    .filter((i) => i.sandbox === args.netns && pattern.test(i.name))
    .map((i) => i.name);
  if (fromPrev.length > 0) return fromPrev;
  return (await listPodLinks(args.netns, ctx.environ)).filter((name) => pattern.test(name));
}

/**
 * host-device DELs that move pod links back to the host without the agent's record (it can lose it when the NIC left
 * the host for the pod and its IPPool went): host-device's DEL moves the link named CNI_IFNAME out of the pod and
 * gives it back its original name; the `device` field only has to pass the plugin's validation.
 */
function hostDeviceReturns(conf: MultiNicNetConf, links: readonly string[]): Delegate[] {
  return links.map((link) => ({
    podInterface: link,
    hostInterface: link,
    config: { cniVersion: conf.plugin.cniVersion, name: link, type: 'host-device', device: link },
  }));
}

/** Removes what is inside the pod's namespace; returns the failures (DEL goes on regardless). */
async function teardown(
  conf: MultiNicNetConf,
  args: DelArgs,
  allocations: readonly Allocation[],
  ctx: HandlerContext,
): Promise<CniFailure[]> {
  if (args.netns === '' || !existsSync(args.netns)) {
    ctx.log.debug('DEL: the network namespace is gone, nothing to remove inside it', { netns: args.netns });
    return [];
  }
  const deviceIDs = podRequestOf(args.config, args.args).deviceIDs ?? [];
  if (allocations.length > 0) {
    const built = buildDelegates({
      plugin: pluginForDel(conf.plugin),
      nics: allocations.map((a, i) => delegateNic(a, deviceIDs[i])),
      routes: conf.routes,
    });
    if (built.ok) {
      // The source rules and the interfaces are independent (a rule names a table, not a link): removed together.
      const [, failures] = await Promise.all([
        removePodRules(args.netns, built.value.routes, ctx.environ).catch((err: unknown) =>
          ctx.log.warn('DEL: could not remove pod rules', { err }),
        ),
        delDelegates(contextOf(args, ctx), built.value.delegates),
      ]);
      return failures;
    }
    ctx.log.warn('DEL: cannot rebuild the delegate configurations from the agent record', { error: built.error });
  }
  const links = await orphanLinks(args, ctx);
  if (links.length === 0) return [];
  if (conf.plugin.type === 'host-device') return delDelegates(contextOf(args, ctx), hostDeviceReturns(conf, links));
  if (!VIRTUAL_LINKS.includes(conf.plugin.type)) {
    ctx.log.warn(
      `DEL: ${links.join(', ')} stay in the pod until its namespace is deleted: without the agent's record the ${conf.plugin.type} device cannot be named`,
    );
    return [];
  }
  await removePodLinks(args.netns, links, ctx.environ);
  return [];
}

/** The index of `name` among this attachment's pod interfaces (podInterfaceName), if it is one. */
function podInterfaceIndex(ifname: string, name: string): number | undefined {
  for (let i = 0; i < MAX_NICS; i++) if (podInterfaceName(ifname, i) === name) return i;
  return undefined;
}
const MAX_NICS = 64;

/**
 * `multiNICIPAM: false`, DEL: the agent holds nothing (it only selected), the IPAM's state and the links are on the
 * node. The pod interfaces come from prevResult and the namespace, else from the agent's selection (as ADD made it).
 */
async function passThroughInterfaces(conf: MultiNicNetConf, args: DelArgs, ctx: HandlerContext): Promise<string[]> {
  const ours = (name: string) => podInterfaceIndex(args.ifname, name) !== undefined;
  const found = new Set(
    (args.prevResult?.interfaces ?? []).filter((i) => i.sandbox === args.netns && ours(i.name)).map((i) => i.name),
  );
  if (args.netns !== '' && existsSync(args.netns))
    for (const name of await listPodLinks(args.netns, ctx.environ)) if (ours(name)) found.add(name);
  if (found.size > 0) return [...found];
  try {
    const selected = await selectNics({
      client: new AgentClient({ socketPath: conf.agentSocket }),
      ...attachmentOf(conf, args),
      pod: podOf(args.args),
      request: podRequestOf(args.config, args.args),
      log: ctx.log,
    });
    return selected.nics.map((n) => n.podInterface);
  } catch (err) {
    ctx.log.warn(
      "DEL: neither prevResult, the namespace nor the node agent name this attachment's interfaces; nothing to release from the IPAM",
      { err },
    );
    return [];
  }
}

/** `multiNICIPAM: false`, DEL: the network's IPAM releases each pod interface's address, then the links go. */
async function delPassThrough(conf: MultiNicNetConf, args: DelArgs, ctx: HandlerContext): Promise<void> {
  const names = await passThroughInterfaces(conf, args, ctx);
  const ipamType = String(conf.ipam['type']);
  const config = { cniVersion: conf.plugin.cniVersion, name: conf.name, type: conf.plugin.type, ipam: conf.ipam };
  const failures = await Promise.all(
    names.map((ifname) =>
      invokeDelegate({
        type: ipamType,
        command: 'DEL',
        config,
        path: args.path,
        containerId: args.containerId,
        netns: args.netns,
        ifname,
        args: delegateArgs(args.args),
        environ: ctx.environ,
      }).then(
        () => undefined,
        (err: unknown) => {
          ctx.log.error('DEL: the IPAM could not release', { ipam: ipamType, podInterface: ifname, err });
          return err;
        },
      ),
    ),
  );
  if (args.netns !== '' && existsSync(args.netns)) {
    const present = (await listPodLinks(args.netns, ctx.environ)).filter((n) => names.includes(n));
    if (present.length > 0 && VIRTUAL_LINKS.includes(conf.plugin.type))
      await removePodLinks(args.netns, present, ctx.environ);
    else if (present.length > 0)
      ctx.log.warn(`DEL: ${present.join(', ')} stay in the pod until its namespace is deleted`);
  }
  const failure = failures.find((f) => f !== undefined);
  if (failure !== undefined) throw failure;
}

async function del(args: DelArgs, ctx: HandlerContext): Promise<void> {
  const conf = netConfOf(args);
  if (!conf.multiNICIPAM) return delPassThrough(conf, args, ctx);
  const client = new AgentClient({ socketPath: conf.agentSocket });
  const attachment = attachmentOf(conf, args);
  let allocations: readonly Allocation[] = [];
  let unreachable = false;
  try {
    allocations = (
      await client.lookup({
        network: attachment.network,
        containerID: attachment.containerId,
        ifname: attachment.ifname,
      })
    ).allocations;
  } catch (err) {
    unreachable = err instanceof AgentUnreachableError;
    ctx.log.warn('DEL: no record from the node agent; removing the interfaces prevResult or the namespace show', {
      err,
    });
  }
  // Only what is on the node decides DEL's answer: a failure there is returned (the runtime retries).
  const [failure] = await teardown(conf, args, allocations, ctx);
  if (failure !== undefined) throw failure;
  const podUID = args.args['K8S_POD_UID'];
  if (podUID === undefined || podUID === '') {
    ctx.log.warn(NO_POD_UID);
    return;
  }
  if (unreachable) {
    ctx.log.warn(RELEASE_LEFT_TO_POD_GC, { socket: conf.agentSocket });
    return;
  }
  await releaseOrLeaveToPodGc(client, { ...attachment, podUID, log: ctx.log });
}

/** Releases the attachment; an agent that stopped answering in the meantime leaves it to its pod GC (see above). */
async function releaseOrLeaveToPodGc(
  client: AgentClient,
  input: { network: string; containerId: string; ifname: string; podUID: string; log: HandlerContext['log'] },
): Promise<void> {
  try {
    const released = await client.release({
      network: input.network,
      containerID: input.containerId,
      ifname: input.ifname,
      podUID: input.podUID,
    });
    input.log.debug('DEL: released', { released: released.released });
  } catch (err) {
    if (!(err instanceof AgentUnreachableError)) throw err;
    input.log.warn(RELEASE_LEFT_TO_POD_GC, { socket: client.socketPath, err });
  }
}

async function check(args: AttachmentArgs & { prevResult: CniResult }, ctx: HandlerContext): Promise<void> {
  const conf = netConfOf(args);
  const client = new AgentClient({ socketPath: conf.agentSocket });
  if (!conf.multiNICIPAM) {
    // The agent holds no addresses here: each delegate's CHECK (and so its IPAM's) checks the pod interface.
    const selected = await selectNics({
      client,
      ...attachmentOf(conf, args),
      pod: podOf(args.args),
      request: podRequestOf(args.config, args.args),
      log: ctx.log,
    });
    await checkDelegates(contextOf(args, ctx), passThroughPlan(conf, selected.nics), args.prevResult);
    return;
  }
  const allocations = await heldAllocations(client, attachmentOf(conf, args));
  compareWithPrevResult(allocations, args.prevResult);
  const deviceIDs = podRequestOf(args.config, args.args).deviceIDs ?? [];
  const nics = allocations.map((a, i) => delegateNic(a, deviceIDs[i]));
  await checkDelegates(contextOf(args, ctx), plan(conf.plugin, conf, nics), args.prevResult);
}

export const multiNicPlugin: CniPlugin = {
  name: MULTI_NIC_CNI_TYPE,
  version: BUILD_VERSION,
  add,
  del,
  check,
  async gc(args, ctx) {
    const conf = netConfOf(args);
    await agentGc(new AgentClient({ socketPath: conf.agentSocket }), {
      network: conf.name,
      validAttachments: args.validAttachments,
      log: ctx.log,
    });
  },
  async status(args) {
    const conf = netConfOf(args);
    await agentStatus(new AgentClient({ socketPath: conf.agentSocket }), conf.name);
  },
  warmUp,
};

/** A 2-NIC macvlan network with pod routes: what the snapshot warm-up attaches. */
const WARM_UP_NETWORK: MultiNicNetwork = {
  apiVersion: 'multinic.dev/v1',
  kind: 'MultiNicNetwork',
  metadata: { name: WARM_UP.network },
  spec: {
    subnet: '192.168.0.0/16',
    masterNets: ['10.0.1.0/24', '10.0.2.0/24'],
    multiNICIPAM: true,
    ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2 },
    plugin: { cniVersion: '1.0.0', type: 'macvlan', args: { mode: 'bridge' } },
  },
};

/**
 * The snapshot warm-up (never at run time): ADD's and CHECK's work for one 2-NIC pod up to the delegates —
 * configuration, pod request, agent calls against canned answers, delegate plans, pod route commands, delegate
 * results read and merged — so that none of it is a first use in a real call.
 */
async function warmUp(): Promise<void> {
  const nad = nadConfig(WARM_UP_NETWORK, { agentSocket: '/warm-up/agent.sock' });
  if (!nad.ok) throw new Error(`warm-up: ${nad.error}`);
  const config = { ...nad.value, args: { cni: { nics: 2 } } };
  const args = {
    config,
    cniVersion: '1.0.0' as const,
    name: WARM_UP.network,
    path: [],
    containerId: WARM_UP.containerId,
    netns: WARM_UP.netns,
    ifname: WARM_UP.ifname,
    args: WARM_UP_ARGS,
    rawArgs: '',
  };
  const conf = netConfOf(args);
  checkRequest(conf, podRequestOf(config, WARM_UP_ARGS));
  delegateArgs(WARM_UP_ARGS);
  await warmUpAgentCalls(config, ({ allocated }) => {
    const built = plan(
      conf.plugin,
      conf,
      allocated.allocations.map((a) => delegateNic(a, undefined)),
    );
    batchesOf(routeCommands(built.routes));
    batchesOf(ruleRemovals(built.routes));
    const outcomes = built.delegates.map((d, i) => {
      const address = allocated.allocations[i]?.address ?? '';
      return outcomeOf(d, {
        cniVersion: String(d.config['cniVersion']),
        interfaces: [{ name: d.podInterface, mac: `02:00:00:00:00:0${i}`, sandbox: WARM_UP.netns }],
        ips: [{ address, interface: 0 }],
      });
    });
    const merged = mergeResults(outcomes, WARM_UP.netns);
    for (const d of built.delegates) delegatePrevResult(merged, d, WARM_UP.netns);
    return merged;
  });
}
