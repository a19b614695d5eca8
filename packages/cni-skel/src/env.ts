// The protocol parameters of one invocation, read from the environment per command (CNI spec §2 "Parameters").
import { parseCniArgs } from '@multinic/crd-types';
import type { CniCommand } from '@multinic/crd-types';
import { invalidEnvironment } from './errors.js';

export type Environment = Readonly<Record<string, string | undefined>>;

export const CNI_COMMANDS: readonly CniCommand[] = ['ADD', 'DEL', 'CHECK', 'GC', 'STATUS', 'VERSION'];

/** The variables a command cannot run without (DEL tolerates a missing CNI_NETNS; GC and STATUS have no container). */
const REQUIRED: Readonly<Record<CniCommand, readonly string[]>> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_PATH'],
  GC: ['CNI_PATH'],
  STATUS: [],
  VERSION: [],
};

/** The protocol parameters of one invocation; empty strings where a command has none. */
export interface Invocation {
  readonly command: CniCommand;
  readonly containerId: string;
  /** Path of the network namespace; may be empty for DEL. */
  readonly netns: string;
  readonly ifname: string;
  /** `CNI_ARGS` as a map (`K=V;K=V`). */
  readonly args: Readonly<Record<string, string>>;
  /** `CNI_ARGS` exactly as given. */
  readonly rawArgs: string;
  /** `CNI_PATH` split on ':'. */
  readonly path: readonly string[];
}

const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function isCommand(value: string): value is CniCommand {
  return (CNI_COMMANDS as readonly string[]).includes(value);
}

/** Why `name` cannot be a Linux interface name, or undefined when it can (the rules of libcni's ValidateInterfaceName). */
export function interfaceNameProblem(name: string): string | undefined {
  if (name.length > 15) return `is ${name.length} characters long; a Linux interface name has at most 15`;
  if (name === '.' || name === '..') return `may not be "${name}"`;
  if (/[\s/:]/.test(name)) return "may not contain '/', ':' or whitespace";
  return undefined;
}

function value(env: Environment, name: string): string {
  return env[name] ?? '';
}

function commandOf(env: Environment): CniCommand {
  const command = value(env, 'CNI_COMMAND');
  if (command === '') {
    throw invalidEnvironment(
      'required environment variables missing: CNI_COMMAND',
      `set CNI_COMMAND to one of ${CNI_COMMANDS.join(', ')}`,
    );
  }
  if (!isCommand(command))
    throw invalidEnvironment(`unknown CNI_COMMAND ${JSON.stringify(command)}: use one of ${CNI_COMMANDS.join(', ')}`);
  return command;
}

function checkAttachment(containerId: string, ifname: string): void {
  if (containerId !== '' && !CONTAINER_ID.test(containerId)) {
    throw invalidEnvironment(
      `CNI_CONTAINERID ${JSON.stringify(containerId)} is invalid: it must start with a letter or digit, followed by letters, digits, '_', '.' or '-'`,
    );
  }
  const problem = ifname === '' ? undefined : interfaceNameProblem(ifname);
  if (problem !== undefined) throw invalidEnvironment(`CNI_IFNAME ${JSON.stringify(ifname)} ${problem}`);
}

/** Reads and validates the protocol parameters; throws a `CniFailure` (code 4) that names every missing variable. */
export function parseEnvironment(env: Environment): Invocation {
  const command = commandOf(env);
  const missing = REQUIRED[command].filter((name) => value(env, name) === '');
  if (missing.length > 0) {
    throw invalidEnvironment(
      `required environment variables missing: ${missing.join(', ')}`,
      `the runtime must set ${REQUIRED[command].join(', ')} for ${command}`,
    );
  }
  const containerId = value(env, 'CNI_CONTAINERID');
  const ifname = value(env, 'CNI_IFNAME');
  checkAttachment(containerId, ifname);
  const rawArgs = value(env, 'CNI_ARGS');
  const args = parseCniArgs(rawArgs);
  if (!args.ok) throw invalidEnvironment(`${args.error}: use KEY=VALUE pairs separated by ';'`);
  return {
    command,
    containerId,
    netns: value(env, 'CNI_NETNS'),
    ifname,
    args: args.value,
    rawArgs,
    path: value(env, 'CNI_PATH')
      .split(':')
      .filter((p) => p !== ''),
  };
}
