// The entry point as a function: configuration, logger, Kubernetes client, agent, signals → exit code.
import { readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import { loadKubeConfig } from '@multinic/kube';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { Agent } from './agent.js';
import type { AgentConfig } from './config.js';
import { USAGE, parseConfig } from './config.js';
import { AgentStartError } from './errors.js';

export interface MainIo {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

function kubeConfigFor(config: AgentConfig): KubeConfig {
  try {
    return loadKubeConfig({ file: config.kubeconfig, fallback: 'in-cluster' });
  } catch (err) {
    throw new AgentStartError('KUBECONFIG', `cannot load the Kubernetes client configuration (${config.kubeconfig ?? 'in-cluster'}): ${(err as Error).message}`, { cause: err });
  }
}

/** Resolves on the first SIGTERM or SIGINT. */
function signalled(log: Logger): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      log.info({ signal: sig }, 'shutting down');
      resolve(sig);
    };
    process.once('SIGTERM', on);
    process.once('SIGINT', on);
  });
}

/** Runs the agent until SIGTERM/SIGINT; returns the process exit code. */
export async function main(io: MainIo): Promise<number> {
  const parsed = parseConfig({ argv: io.argv, env: io.env, readFile: (p) => readFileSync(p, 'utf8') });
  if (parsed.ok === 'help') {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (!parsed.ok) {
    io.stderr(`multinic-agent: invalid configuration:\n  ${parsed.problems.join('\n  ')}\n`);
    return 2;
  }
  const config = parsed.config;
  const log = pino({ level: config.logLevel, base: { component: 'multinic-agent', node: config.nodeName } });
  try {
    const agent = await Agent.start({ config, log, kubeConfig: kubeConfigFor(config) });
    await signalled(log);
    await agent.stop();
    return 0;
  } catch (err) {
    const code = err instanceof AgentStartError ? err.code : 'UNEXPECTED';
    log.fatal({ code, err }, 'agent failed');
    return code === 'UNEXPECTED' ? 1 : 3;
  }
}
