// The cluster-wide objects the agent reads but never writes: MultiNicNetworks and NicClasses, parsed on demand
// (a network once per resourceVersion). The local API's select and route sync read them from here.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { MultiNicNetwork, NicClassSpec } from '@multinic/crd-types';
import { MultiNicNetworkSchema, NicClassSpecSchema, formatProblem, parseWith } from '@multinic/crd-types';
import type { Informer } from '@multinic/kube';
import type { Logger } from 'pino';
import type { InvalidNetwork } from '../select.js';

export interface CatalogObj extends KubernetesObject {
  spec?: unknown;
}

export interface CatalogOptions {
  readonly networks: Informer<CatalogObj>;
  readonly nicClasses: Informer<CatalogObj>;
  readonly log: Logger;
}

export class Catalog {
  readonly #o: CatalogOptions;
  readonly #networkCache = new Map<string, { rv: string; value: MultiNicNetwork | InvalidNetwork }>();

  constructor(options: CatalogOptions) {
    this.#o = options;
  }

  /** The network, its problems when it does not parse, or undefined when there is none of that name. */
  network(name: string): MultiNicNetwork | InvalidNetwork | undefined {
    const obj = this.#o.networks.get(name);
    if (obj === undefined) return undefined;
    const rv = obj.metadata?.resourceVersion ?? '';
    const cached = this.#networkCache.get(name);
    if (cached !== undefined && cached.rv === rv) return cached.value;
    const parsed = parseWith(MultiNicNetworkSchema, obj);
    if (!parsed.ok)
      this.#o.log.warn(
        { network: name, problems: parsed.problems },
        'MultiNicNetwork does not parse; select refuses it',
      );
    const value = parsed.ok ? parsed.value : { problems: parsed.problems.map(formatProblem) };
    this.#networkCache.set(name, { rv, value });
    return value;
  }

  nicClass(name: string): NicClassSpec | undefined {
    const parsed = parseWith(NicClassSpecSchema, this.#o.nicClasses.get(name)?.spec);
    return parsed.ok ? parsed.value : undefined;
  }
}
