// Prometheus metrics (prom-client), in a registry of their own so that two controllers in one process (tests)
// do not share counters.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class ControllerMetrics {
  readonly registry = new Registry();
  readonly reconciles: Counter<'kind' | 'result'>;
  readonly reconcileSeconds: Histogram<'kind'>;
  readonly queueDepth: Gauge;
  readonly retries: Counter<'kind'>;
  readonly writes: Counter<'resource' | 'verb'>;
  readonly planHosts: Gauge<'network'>;
  readonly planPools: Gauge<'network'>;
  readonly problems: Gauge<'network'>;
  readonly leader: Gauge;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.reconciles = new Counter({
      name: 'multinic_controller_reconcile_total',
      help: 'Reconciles by kind and result (success, error, requeue).',
      labelNames: ['kind', 'result'],
      registers,
    });
    this.reconcileSeconds = new Histogram({
      name: 'multinic_controller_reconcile_duration_seconds',
      help: 'Time to reconcile one object.',
      labelNames: ['kind'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.queueDepth = new Gauge({
      name: 'multinic_controller_queue_depth',
      help: 'Keys waiting in the work queue.',
      registers,
    });
    this.retries = new Counter({
      name: 'multinic_controller_retries_total',
      help: 'Rate-limited retries after a failed reconcile.',
      labelNames: ['kind'],
      registers,
    });
    this.writes = new Counter({
      name: 'multinic_controller_writes_total',
      help: 'API writes by resource and verb (apply, delete, create).',
      labelNames: ['resource', 'verb'],
      registers,
    });
    this.planHosts = new Gauge({
      name: 'multinic_controller_plan_hosts',
      help: 'Hosts in the plan of each network.',
      labelNames: ['network'],
      registers,
    });
    this.planPools = new Gauge({
      name: 'multinic_controller_plan_ippools',
      help: 'IPPools in the plan of each network.',
      labelNames: ['network'],
      registers,
    });
    this.problems = new Gauge({
      name: 'multinic_controller_plan_problems',
      help: 'Problems reported for each network.',
      labelNames: ['network'],
      registers,
    });
    this.leader = new Gauge({
      name: 'multinic_controller_leader',
      help: '1 while this replica holds the leader lease.',
      registers,
    });
    if (options.defaultMetrics ?? false)
      collectDefaultMetrics({ register: this.registry, prefix: 'multinic_controller_' });
  }

  /** Total writes so far (all resources and verbs). */
  async totalWrites(): Promise<number> {
    const metric = await this.writes.get();
    return metric.values.reduce((n, v) => n + v.value, 0);
  }

  forgetNetwork(network: string): void {
    for (const gauge of [this.planHosts, this.planPools, this.problems]) gauge.remove({ network });
  }
}
