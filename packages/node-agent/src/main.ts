// The agent as a daemon: its configuration parser and how it starts. @multinic/kube's runDaemon does the rest
// (--version, the logger, signals, exit codes): 0 after SIGTERM/SIGINT, 2 for a configuration error, 3 for a
// known start-up failure (AgentStartError: socket in use, kubeconfig, checkpoint), 1 for anything else.
import { readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import { binVersion, loadKubeConfig, runDaemon } from '@multinic/kube';
import type { DaemonIo, DaemonSpec } from '@multinic/kube';
import { Agent } from './agent.js';
import type { AgentConfig } from './config.js';
import { USAGE, parseConfig } from './config.js';
import { AgentStartError } from './errors.js';

export type MainIo = DaemonIo;

function kubeConfigFor(config: AgentConfig): KubeConfig {
  try {
    return loadKubeConfig({ file: config.kubeconfig, fallback: 'in-cluster' });
  } catch (err) {
    throw new AgentStartError(
      'KUBECONFIG',
      `cannot load the Kubernetes client configuration (${config.kubeconfig ?? 'in-cluster'}): ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** The agent's daemon description; `buildVersion` is the version build-sea bundled in, if any. */
export function agentDaemon(buildVersion?: string): DaemonSpec<AgentConfig> {
  return {
    name: 'multinic-agent',
    version: () => binVersion(buildVersion),
    parseConfig: ({ argv, env }) => {
      const parsed = parseConfig({ argv, env, readFile: (p) => readFileSync(p, 'utf8') });
      return parsed.ok === 'help' ? { ok: 'help', text: USAGE } : parsed;
    },
    logFields: (config) => ({ node: config.nodeName }),
    start: ({ config, log }) => Agent.start({ config, log, kubeConfig: kubeConfigFor(config) }),
    exitCodeOf: (err) => (err instanceof AgentStartError ? 3 : 1),
  };
}

/** Runs the agent until SIGTERM/SIGINT; returns the process exit code. */
export function main(io: MainIo): Promise<number> {
  return runDaemon(agentDaemon(), io);
}
