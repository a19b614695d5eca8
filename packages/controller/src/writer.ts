// Every write of the controller: server-side apply with one field manager, deletes with a uid precondition,
// Events. Only the leader writes: each call checks `canWrite()` first.
import type { Logger } from 'pino';
import { rfc3339 } from './clock.js';
import { ControllerError, isErrorCode } from './errors.js';
import type { ControllerMetrics } from './metrics.js';
import type { KubeObject } from './objects.js';
import { apiVersionOf, collectionPath, objectPath, RESOURCES, type Resource } from './resources.js';
import type { KubeClient } from '@multinic/kube';

export const APPLY_PATCH = 'application/apply-patch+yaml';

export interface WriterOptions {
  readonly rest: KubeClient;
  readonly metrics: ControllerMetrics;
  readonly fieldManager: string;
  readonly canWrite: () => boolean;
  /** Where Events about cluster-scoped objects go. */
  readonly eventNamespace: string;
  /** reportingInstance of Events. */
  readonly identity: string;
  readonly now: () => number;
  readonly logger: Logger;
}

export interface EventSpec {
  readonly regarding: KubeObject & { apiVersion: string; kind: string };
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

export class Writer {
  readonly #o: WriterOptions;

  constructor(options: WriterOptions) {
    this.#o = options;
  }

  #guard(what: string): void {
    if (!this.#o.canWrite())
      throw new ControllerError('NOT_LEADER', `${what}: this replica is not the leader, so it does not write`);
  }

  /**
   * Server-side apply of `obj` (forced: the controller is the only manager of the fields it sets). A
   * `metadata.resourceVersion` in `obj` makes the write conditional: CONFLICT when the object changed since.
   */
  async apply<T extends KubeObject>(
    resource: Resource,
    obj: KubeObject,
    options: { status?: boolean } = {},
  ): Promise<T> {
    const path =
      objectPath(resource, obj.metadata.name, obj.metadata.namespace) + (options.status === true ? '/status' : '');
    this.#guard(`apply ${path}`);
    const started = this.#o.now();
    const result = await this.#o.rest.request<T>({
      method: 'PATCH',
      path,
      query: { fieldManager: this.#o.fieldManager, force: true },
      body: obj,
      contentType: APPLY_PATCH,
    });
    this.#o.metrics.writes.inc({
      resource: resource.plural + (options.status === true ? '/status' : ''),
      verb: 'apply',
    });
    this.#o.logger.debug(
      { path, resourceVersion: result.metadata.resourceVersion, ms: this.#o.now() - started },
      'applied',
    );
    return result;
  }

  /** Creates `obj` (ALREADY_EXISTS when another writer was first). */
  async create<T extends KubeObject>(resource: Resource, obj: KubeObject): Promise<T> {
    const path = collectionPath(resource, obj.metadata.namespace);
    this.#guard(`create ${path}/${obj.metadata.name}`);
    const result = await this.#o.rest.request<T>({
      method: 'POST',
      path,
      query: { fieldManager: this.#o.fieldManager },
      body: obj,
    });
    this.#o.metrics.writes.inc({ resource: resource.plural, verb: 'create' });
    this.#o.logger.debug({ path, resourceVersion: result.metadata.resourceVersion }, 'created');
    return result;
  }

  /**
   * Replaces the object: `obj.metadata.resourceVersion` is required and makes the write conditional (CONFLICT when
   * the object changed since it was read). Cheaper than an apply for a large object the controller owns whole.
   */
  async update<T extends KubeObject>(resource: Resource, obj: KubeObject): Promise<T> {
    const path = objectPath(resource, obj.metadata.name, obj.metadata.namespace);
    this.#guard(`update ${path}`);
    if (obj.metadata.resourceVersion === undefined)
      throw new ControllerError('INVALID', `update ${path}: a resourceVersion is required`);
    const started = this.#o.now();
    const result = await this.#o.rest.request<T>({
      method: 'PUT',
      path,
      query: { fieldManager: this.#o.fieldManager },
      body: obj,
    });
    this.#o.metrics.writes.inc({ resource: resource.plural, verb: 'update' });
    this.#o.logger.debug(
      { path, resourceVersion: result.metadata.resourceVersion, ms: this.#o.now() - started },
      'updated',
    );
    return result;
  }

  /** Deletes the object if it still is the one with `uid`; false when it was already gone. */
  async remove(
    resource: Resource,
    obj: { name: string; namespace?: string | undefined; uid?: string | undefined },
  ): Promise<boolean> {
    const path = objectPath(resource, obj.name, obj.namespace);
    this.#guard(`delete ${path}`);
    try {
      await this.#o.rest.request({
        method: 'DELETE',
        path,
        body: {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          ...(obj.uid === undefined ? {} : { preconditions: { uid: obj.uid } }),
        },
      });
      this.#o.metrics.writes.inc({ resource: resource.plural, verb: 'delete' });
      this.#o.logger.debug({ path }, 'deleted');
      return true;
    } catch (err) {
      if (isErrorCode(err, 'NOT_FOUND')) return false;
      throw err;
    }
  }

  /** Records a core/v1 Event about `regarding`. */
  async event(spec: EventSpec): Promise<void> {
    const { regarding } = spec;
    const namespace = regarding.metadata.namespace ?? this.#o.eventNamespace;
    this.#guard('create Event');
    const now = rfc3339(this.#o.now());
    await this.#o.rest.request({
      method: 'POST',
      path: collectionPath(RESOURCES.events, namespace),
      body: {
        apiVersion: apiVersionOf(RESOURCES.events),
        kind: 'Event',
        metadata: { generateName: `${regarding.metadata.name}.`, namespace },
        involvedObject: {
          apiVersion: regarding.apiVersion,
          kind: regarding.kind,
          name: regarding.metadata.name,
          uid: regarding.metadata.uid,
        },
        type: spec.type,
        reason: spec.reason,
        message: spec.message.slice(0, 1024),
        source: { component: this.#o.fieldManager },
        reportingComponent: this.#o.fieldManager,
        reportingInstance: this.#o.identity,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
    this.#o.metrics.writes.inc({ resource: 'events', verb: 'create' });
    this.#o.logger.debug({ regarding: regarding.metadata.name, reason: spec.reason }, 'recorded an Event');
  }
}

/** Runs `fn` on every item with at most `limit` in flight; rejects with the first error after all settled. */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}
