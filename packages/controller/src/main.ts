// The process: configuration (once), logger, kubeconfig, controller, probe server, signals.
import { hostname } from 'node:os';
import { formatProblem } from '@multinic/crd-types';
import { loadKubeConfig } from '@multinic/kube';
import { parseConfig } from './config.js';
import { Controller } from './controller.js';
import { createLogger } from './logger.js';
import { ControllerMetrics } from './metrics.js';
import { startProbeServer } from './server.js';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface MainIO {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stderr: (text: string) => void;
  /** Resolves when the process is asked to stop (SIGTERM or SIGINT). */
  readonly stopSignal: Promise<string>;
}

/** Runs the controller until a stop signal; returns the exit code. */
export async function main(io: MainIO): Promise<number> {
  const parsed = parseConfig({ argv: io.argv, env: io.env, defaultIdentity: `${hostname()}_${process.pid}` });
  if (!parsed.ok) {
    io.stderr(`multinic-controller: invalid configuration:\n${parsed.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}\n`);
    return EXIT.usage;
  }
  const config = parsed.value;
  const logger = createLogger({ level: config.logLevel });
  const metrics = new ControllerMetrics({ defaultMetrics: true });
  let controller: Controller;
  try {
    controller = await Controller.create({ kubeConfig: loadKubeConfig({ file: config.kubeconfig, fallback: 'default' }), config, logger, metrics });
  } catch (err) {
    logger.error({ err }, 'cannot start: check the kubeconfig');
    return EXIT.failed;
  }
  let stopping = false;
  const server = await startProbeServer({
    address: config.httpAddress,
    port: config.httpPort,
    registry: metrics.registry,
    ready: () => controller.synced && !stopping,
    healthy: () => !stopping,
  });
  logger.info({ port: server.port, identity: config.identity, leaderElect: config.leaderElect }, 'multinic-controller starting');
  let failed = false;
  const crashed = controller.start().then(
    () => new Promise<never>(() => {}),
    (err: unknown) => {
      failed = true;
      logger.error({ err }, 'multinic-controller failed');
      return 'failure';
    },
  );
  const signal = await Promise.race([io.stopSignal, crashed]);
  stopping = true;
  logger.info({ signal }, 'stopping');
  await controller.stop();
  await server.close();
  return failed ? EXIT.failed : EXIT.ok;
}
