import { EXIT, InputError, type CliIO } from './io.js';
import { planCommand } from './commands/plan.js';
import { validateCommand } from './commands/validate.js';
import { migrateCommand } from './commands/migrate.js';
import { renderCommand } from './commands/render.js';

type Command = (io: CliIO, args: readonly string[]) => Promise<number>;

const COMMANDS: Readonly<Record<string, { run: Command; summary: string }>> = {
  plan: {
    run: planCommand,
    summary: 'plan -f network.yaml --hosts hosts.yaml [-o table|json|yaml]   what the controller will write',
  },
  validate: { run: validateCommand, summary: 'validate -f FILE [-f FILE…]   check manifests and Multus annotations' },
  render: {
    run: renderCommand,
    summary:
      'render nad -f network.yaml [-n NS] | render delegates -f network.yaml --hosts hosts.yaml --host NODE --masters eth1,eth2 --ips IP1,IP2 [-o json|plan] | render template -f template.yaml --host NODE --interface IFACE [--network N --hosts H]',
  },
  migrate: {
    run: migrateCommand,
    summary:
      'migrate -f multi-nic-cni.yaml -f pods.yaml [-o yaml|json]   MultiNicNetwork, CIDR, IPPool (allocations), HostInterface, DeviceClass → multinic.dev/v1',
  },
};

export const USAGE = `multinic — plan, validate and migrate multi-NIC networks

Usage:
${Object.values(COMMANDS)
  .map((c) => `  multinic ${c.summary}`)
  .join('\n')}

Exit status: 0 ok, 1 failure, 2 invalid input, 3 the plan has problems.
`;

/** Runs one CLI invocation and returns the exit status; never calls process.exit. */
export async function runCli(io: CliIO): Promise<number> {
  const [name, ...args] = io.argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return name === undefined ? EXIT.invalidInput : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(
      `multinic: unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')} (see multinic --help)\n`,
    );
    return EXIT.invalidInput;
  }
  try {
    return await command.run(io, args);
  } catch (error) {
    // node:util parseArgs reports bad flags with ERR_PARSE_ARGS_* codes: also the user's input to fix.
    if (error instanceof InputError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true) {
      io.err(`multinic ${name}: ${(error as Error).message}\n`);
      return EXIT.invalidInput;
    }
    io.err(`multinic ${name}: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.failure;
  }
}
