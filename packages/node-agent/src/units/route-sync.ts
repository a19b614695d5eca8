// CIDR + MultiNicNetwork → host routes and HostInterface route status. For every network whose pods route at L3
// (ipvlan l3/l3s) the RouteProgrammer keeps one routing table with rules and routes to the peers' pod blocks, of both
// families for a dual-stack network (CIDR.spec and its otherFamily, ADR 0006); the tables are remembered in the checkpoint, the outcome is reported in HostInterface.status.routes.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { NetworkPlan } from '@multinic/cidr-core';
import type { HostRouteStatus } from '@multinic/crd-types';
import { CidrSpecSchema, parseWith } from '@multinic/crd-types';
import { APPLY_PATCH, RESOURCES, objectPath } from '@multinic/kube';
import type { Informer, KubeClient } from '@multinic/kube';
import { needsHostRoutes } from '@multinic/netconf';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config.js';
import type { HostOps } from '../host.js';
import type { AgentMetrics } from '../metrics.js';
import type { FamilyPlans } from '../routes/plan.js';
import { familyPlans } from '../routes/plan.js';
import { RouteProgrammer } from '../routes/programmer.js';
import type { Catalog } from './catalog.js';
import { FIELD_MANAGER } from './host-reporter.js';
import type { AgentState } from './state.js';

export interface CidrObj extends KubernetesObject {
  spec?: unknown;
}

export interface RouteSyncOptions {
  readonly nodeName: string;
  readonly routes: AgentConfig['routes'];
  readonly host: HostOps;
  readonly client: KubeClient;
  readonly cidrs: Informer<CidrObj>;
  /** The networks' informer: route sync waits for it to have listed. */
  readonly networks: Informer<KubernetesObject>;
  readonly catalog: Catalog;
  readonly state: AgentState;
  readonly metrics: AgentMetrics;
  readonly log: Logger;
}

export class RouteSync {
  readonly #o: RouteSyncOptions;
  #reported = '';

  constructor(options: RouteSyncOptions) {
    this.#o = options;
  }

  /** Calls `trigger` whenever a plan or a network changes (its mode decides whether it is routed). */
  onInputChange(trigger: () => void): void {
    this.#o.cidrs.onChange(trigger);
    this.#o.networks.onChange(trigger);
  }

  /** Programs the routes of every routed network and reports them; nothing until both informers listed. */
  async run(): Promise<void> {
    const { cidrs, networks, routes, state } = this.#o;
    if (!cidrs.hasSynced || !networks.hasSynced) return;
    const programmer = new RouteProgrammer({
      host: this.#o.host,
      nodeName: this.#o.nodeName,
      tableBase: routes.tableBase,
      rulePriority: routes.rulePriority,
      rtTablesDir: routes.rtTablesDir,
      log: this.#o.log,
      onError: (network) => this.#o.metrics.routeErrors.inc({ network }),
    });
    const { plans, untouched } = this.#plans();
    const result = await programmer.sync({ plans, untouched, remembered: state.routeTables });
    await state.setRouteTables(result.tables);
    await this.#report(result.statuses);
  }

  /**
   * The plans whose routes this node programs: networks whose pods route at L3 (ipvlan l3/l3s). A CIDR that does
   * not parse, or whose network is invalid, is left alone (neither programmed nor removed).
   */
  #plans(): { plans: Map<string, NetworkPlan[]>; untouched: Set<string> } {
    const plans = new Map<string, NetworkPlan[]>();
    const untouched = new Set<string>();
    for (const obj of this.#o.cidrs.list()) {
      const name = obj.metadata?.name;
      if (name === undefined) continue;
      const parsed = parseWith(CidrSpecSchema, obj.spec);
      const network = this.#o.catalog.network(name);
      if (!parsed.ok || (network !== undefined && 'problems' in network)) {
        this.#o.log.warn({ network: name }, 'CIDR or MultiNicNetwork does not parse; its routes are left as they are');
        untouched.add(name);
        continue;
      }
      if (network !== undefined && needsHostRoutes(network)) plans.set(name, familyPlans(parsed.value as FamilyPlans));
    }
    return { plans, untouched };
  }

  async #report(statuses: readonly HostRouteStatus[]): Promise<void> {
    const text = JSON.stringify(statuses);
    if (text === this.#reported) return;
    const node = this.#o.nodeName;
    await this.#o.client.request({
      method: 'PATCH',
      path: `${objectPath(RESOURCES.hostInterfaces, node)}/status`,
      query: { fieldManager: FIELD_MANAGER, force: 'true' },
      contentType: APPLY_PATCH,
      body: {
        apiVersion: 'multinic.dev/v1',
        kind: 'HostInterface',
        metadata: { name: node },
        status: { routes: statuses },
      },
    });
    this.#reported = text;
  }
}
