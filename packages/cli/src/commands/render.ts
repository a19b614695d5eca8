import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { parseAddress, parsePrefix, prefixContainsAddress, type IPPoolPlan } from '@multinic/cidr-core';
import type { HostInterface, MultiNicNetwork } from '@multinic/crd-types';
import {
  buildDelegates,
  buildNetworkAttachmentDefinition,
  buildNetworkAttachmentDefinitions,
  networkPlugin,
  podInterfaceName,
  renderTemplate,
  type DelegateNic,
} from '@multinic/netconf';
import { EXIT, InputError, loadDocuments, type CliIO } from '../io.js';
import { loadHosts, loadNetwork, planOf } from '../load.js';

const SUBCOMMANDS = ['nad', 'delegates', 'template'] as const;

/** `multinic render nad|delegates|template`: the exact configurations the system would produce. */
export async function renderCommand(io: CliIO, args: readonly string[]): Promise<number> {
  const [what, ...rest] = args;
  switch (what) {
    case 'nad':
      return renderNad(io, rest);
    case 'delegates':
      return renderDelegates(io, rest);
    case 'template':
      return renderTemplateCommand(io, rest);
    default:
      throw new InputError(`render what? one of ${SUBCOMMANDS.join(', ')} (e.g. multinic render nad -f network.yaml)`);
  }
}

function required<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new InputError(message);
  return value;
}

function unwrap<T>(result: { ok: true; value: T } | { ok: false; error: string }, context: string): T {
  if (!result.ok) throw new InputError(`${context}: ${result.error}`);
  return result.value;
}

function splitList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

async function renderNad(io: CliIO, args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      file: { type: 'string', short: 'f' },
      namespace: { type: 'string', short: 'n' },
      'agent-socket': { type: 'string' },
    },
    strict: true,
  });
  const file = required(values.file, '-f FILE is required: the MultiNicNetwork manifest');
  const network = await loadNetwork(io, file);
  const options = values['agent-socket'] === undefined ? {} : { agentSocket: values['agent-socket'] };
  // One namespace when asked for; otherwise every namespace the network lists (or `default`, as a cluster without a list would start).
  const nads =
    values.namespace === undefined
      ? unwrap(buildNetworkAttachmentDefinitions(network, { ...options, namespaces: ['default'] }), file)
      : [unwrap(buildNetworkAttachmentDefinition(network, values.namespace, options), file)];
  io.out(nads.map((nad) => stringify(nad)).join('---\n'));
  return EXIT.ok;
}

async function renderDelegates(io: CliIO, args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      file: { type: 'string', short: 'f' },
      hosts: { type: 'string' },
      host: { type: 'string' },
      masters: { type: 'string' },
      ips: { type: 'string' },
      ifname: { type: 'string', default: 'net1' },
      output: { type: 'string', short: 'o', default: 'json' },
    },
    strict: true,
  });
  const network = await loadNetwork(io, required(values.file, '-f FILE is required: the MultiNicNetwork manifest'));
  const hosts = await loadHosts(io, required(values.hosts, '--hosts FILE is required: the HostInterface manifests'));
  const hostName = required(values.host, '--host NODE is required: the node whose delegates to render');
  if (values.output !== 'json' && values.output !== 'plan')
    throw new InputError(
      `-o must be json (the delegate configs) or plan (configs and pod routes), not "${values.output}"`,
    );
  const nics = delegateNics({
    network,
    hosts,
    hostName,
    masters: splitList(values.masters),
    ips: splitList(values.ips),
    ifname: values.ifname,
  });
  const plugin = unwrap(networkPlugin(network), 'spec.plugin');
  const plan = unwrap(
    buildDelegates({
      plugin,
      nics,
      ...(network.spec.ipam.routes === undefined ? {} : { routes: network.spec.ipam.routes }),
    }),
    'delegates',
  );
  const output = values.output === 'plan' ? plan : plan.delegates.map((d) => d.config);
  io.out(`${JSON.stringify(output, null, 2)}\n`);
  return EXIT.ok;
}

interface DelegateNicsInput {
  readonly network: MultiNicNetwork;
  readonly hosts: readonly HostInterface[];
  readonly hostName: string;
  readonly masters: readonly string[];
  readonly ips: readonly string[];
  readonly ifname: string;
}

/** The selected NICs of `hostName` with the given addresses, each checked against that host's planned pool. */
function delegateNics(input: DelegateNicsInput): DelegateNic[] {
  const host = input.hosts.find((h) => h.spec.hostName === input.hostName);
  if (host === undefined)
    throw new InputError(
      `--host ${input.hostName}: no HostInterface for it in --hosts (known: ${input.hosts.map((h) => h.spec.hostName).join(', ')})`,
    );
  if (input.masters.length === 0)
    throw new InputError('--masters eth1,eth2 is required: the host NICs, in pod-interface order');
  if (input.ips.length !== input.masters.length)
    throw new InputError(
      `--ips must give one address per master: ${input.masters.length} masters, ${input.ips.length} addresses`,
    );
  const { ippools } = planOf(input.network, input.hosts);
  return input.masters.map((master, i) => {
    const pool = ippools.find((p) => p.hostName === input.hostName && p.interfaceName === master);
    if (pool === undefined)
      throw new InputError(
        `--masters ${master}: ${input.hostName} has no planned pool on it (NICs: ${host.spec.interfaces.map((n) => n.interfaceName).join(', ')})`,
      );
    const ip = input.ips[i] ?? '';
    checkInPool(ip, pool);
    const nic = host.spec.interfaces.find((n) => n.interfaceName === master);
    const vlanLength = unwrap(parsePrefix(pool.vlanCIDR), pool.vlanCIDR).length;
    return {
      interfaceName: master,
      podInterface: podInterfaceName(input.ifname, i),
      address: `${ip}/${vlanLength}`,
      vlanCIDR: pool.vlanCIDR,
      ...(nic?.pciAddress === undefined ? {} : { pciAddress: nic.pciAddress }),
    };
  });
}

function checkInPool(ip: string, pool: IPPoolPlan): void {
  const address = unwrap(parseAddress(ip), `--ips ${ip}`);
  const block = unwrap(parsePrefix(pool.podCIDR), pool.podCIDR);
  if (!prefixContainsAddress(block, address)) {
    throw new InputError(
      `--ips ${ip} is not in ${pool.hostName}'s ${pool.interfaceName} pod block ${pool.podCIDR}: the agent hands out addresses of that block only`,
    );
  }
}

async function renderTemplateCommand(io: CliIO, args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      file: { type: 'string', short: 'f' },
      host: { type: 'string' },
      interface: { type: 'string' },
      network: { type: 'string' },
      hosts: { type: 'string' },
    },
    strict: true,
  });
  const file = required(
    values.file,
    '-f FILE is required: a YAML with `template` (NetConf JSON with {{ .variables }}) and optional `hostConfigs`',
  );
  const hostName = required(values.host, '--host NODE is required');
  const interfaceName = required(values.interface, '--interface IFACE is required');
  const source = await templateSource(io, file);
  const pool = await plannedPool(io, { network: values.network, hosts: values.hosts, hostName, interfaceName });
  const rendered = unwrap(
    renderTemplate({
      template: source.template,
      hostName,
      interfaceName,
      ...(source.hostConfigs === undefined ? {} : { hostConfigs: source.hostConfigs }),
      ...(pool === undefined ? {} : { pool }),
    }),
    file,
  );
  io.out(`${JSON.stringify(rendered.config, null, 2)}\n`);
  return EXIT.ok;
}

type TemplateSource = { template: string; hostConfigs?: Parameters<typeof renderTemplate>[0]['hostConfigs'] };

/** The template file: `template` as JSON text or as a YAML object, and optional `hostConfigs` {defaults, hosts}. */
async function templateSource(io: CliIO, file: string): Promise<TemplateSource> {
  const [doc] = await loadDocuments(io, file);
  const value = doc?.value as { template?: unknown; hostConfigs?: unknown } | undefined;
  if (value === undefined || typeof value !== 'object' || value.template === undefined) {
    throw new InputError(
      `${file}: template is required: the NetConf as JSON text or as a YAML object, with {{ .host.interface.subnet }}-style placeholders`,
    );
  }
  const template = typeof value.template === 'string' ? value.template : JSON.stringify(value.template);
  if (value.hostConfigs !== undefined && (typeof value.hostConfigs !== 'object' || value.hostConfigs === null)) {
    throw new InputError(
      `${file}: hostConfigs must be an object {defaults: {...}, hosts: {<node>: {..., interfaces: {<nic>: {...}}}}}`,
    );
  }
  return value.hostConfigs === undefined
    ? { template }
    : { template, hostConfigs: value.hostConfigs as NonNullable<TemplateSource['hostConfigs']> };
}

/** With --network and --hosts, the planned pool of the host's interface supplies values the host configs leave unset. */
async function plannedPool(
  io: CliIO,
  input: { network: string | undefined; hosts: string | undefined; hostName: string; interfaceName: string },
): Promise<IPPoolPlan | undefined> {
  if (input.network === undefined && input.hosts === undefined) return undefined;
  const network = await loadNetwork(io, required(input.network, '--network FILE is required together with --hosts'));
  const hosts = await loadHosts(io, required(input.hosts, '--hosts FILE is required together with --network'));
  const pool = planOf(network, hosts).ippools.find(
    (p) => p.hostName === input.hostName && p.interfaceName === input.interfaceName,
  );
  if (pool === undefined)
    throw new InputError(
      `--host ${input.hostName} --interface ${input.interfaceName}: no planned pool for that host and interface`,
    );
  return pool;
}
