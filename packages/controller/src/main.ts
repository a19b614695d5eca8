// The controller as a daemon: its configuration parser and how it starts (kubeconfig, controller, probe server).
// @multinic/kube's runDaemon does the rest (--version, the logger, signals, exit codes: 0 after SIGTERM/SIGINT,
// 2 for a configuration error, 1 when it cannot start or fails while running).
import { hostname } from 'node:os';
import { formatProblem } from '@multinic/crd-types';
import { EXIT, binVersion, loadKubeConfig, runDaemon } from '@multinic/kube';
import type { DaemonIo, DaemonSpec, RunningDaemon } from '@multinic/kube';
import type { Logger } from 'pino';
import type { ControllerConfig } from './config.js';
import { parseConfig } from './config.js';
import { Controller } from './controller.js';
import { ControllerMetrics } from './metrics.js';
import { startProbeServer } from './server.js';

export { EXIT };
export type MainIO = DaemonIo;

async function start(config: ControllerConfig, logger: Logger): Promise<RunningDaemon> {
  const metrics = new ControllerMetrics({ defaultMetrics: true });
  let controller: Controller;
  try {
    controller = await Controller.create({
      kubeConfig: loadKubeConfig({ file: config.kubeconfig, fallback: 'default' }),
      config,
      logger,
      metrics,
    });
  } catch (err) {
    throw new Error('cannot start: check the kubeconfig', { cause: err });
  }
  let stopping = false;
  const server = await startProbeServer({
    address: config.httpAddress,
    port: config.httpPort,
    registry: metrics.registry,
    ready: () => controller.synced && !stopping,
    healthy: () => !stopping,
  });
  logger.info(
    { port: server.port, identity: config.identity, leaderElect: config.leaderElect },
    'multinic-controller starting',
  );
  return {
    // start() resolves once the controller runs; it rejects when the controller fails.
    failed: controller.start().then(() => new Promise<never>(() => undefined)),
    stop: async () => {
      stopping = true;
      await controller.stop();
      await server.close();
    },
  };
}

/** The controller's daemon description; `buildVersion` is the version build-sea bundled in, if any. */
export function controllerDaemon(buildVersion?: string): DaemonSpec<ControllerConfig> {
  return {
    name: 'multinic-controller',
    version: () => binVersion(buildVersion),
    parseConfig: ({ argv, env }) => {
      const parsed = parseConfig({ argv, env, defaultIdentity: `${hostname()}_${process.pid}` });
      return parsed.ok
        ? { ok: true, config: parsed.value }
        : { ok: false, problems: parsed.problems.map(formatProblem) };
    },
    start: ({ config, log }) => start(config, log),
  };
}

/** Runs the controller until a stop signal; returns the exit code. */
export function main(io: MainIO): Promise<number> {
  return runDaemon(controllerDaemon(), io);
}
