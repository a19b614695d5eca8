// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: a candidate takes the lease when it
// is free or when its record has not changed for leaseDuration by the candidate's own clock (so clock skew
// between replicas does not matter); the leader renews every retryPeriod and steps down when it could not renew
// for renewDeadline; on shutdown it releases the lease so another replica takes over at once. Every update is
// conditional on the resourceVersion it read, so two candidates can never both win.
import type { Logger } from 'pino';
import { rfc3339Micro, type CancelTimer, type Clock } from './clock.js';
import { isErrorCode } from './errors.js';
import { collectionPath, objectPath, RESOURCES } from './resources.js';
import type { KubeClient } from '@multinic/kube';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: LeaseSpec;
}

export interface LeaderElectorOptions {
  readonly rest: KubeClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly name: string;
  readonly namespace: string;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
}

export class LeaderElector {
  readonly #o: LeaderElectorOptions;
  #leading = false;
  #stopped = true;
  #timer: CancelTimer | undefined;
  /** The last lease record seen and when (local clock) it was first seen. */
  #observed: { record: string; at: number } | undefined;
  #lastRenew = 0;
  #round: Promise<void> = Promise.resolve();

  constructor(options: LeaderElectorOptions) {
    this.#o = options;
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Stops campaigning; a leader releases the lease (so the next replica need not wait for it to expire). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.();
    await this.#round;
    if (this.#leading) {
      await this.#release().catch((err: unknown) =>
        this.#o.logger.warn({ err: String(err) }, 'could not release the leader lease'),
      );
      this.#stepDown('shutting down');
    }
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#round = this.#tick();
    }, ms);
  }

  async #tick(): Promise<void> {
    let ok = false;
    try {
      ok = await this.#tryAcquireOrRenew();
    } catch (err) {
      this.#o.logger.warn(
        { err: String(err), lease: `${this.#o.namespace}/${this.#o.name}` },
        'leader election: request failed',
      );
    }
    if (this.#stopped) return;
    const now = this.#o.clock.now();
    if (ok) {
      this.#lastRenew = now;
      if (!this.#leading) {
        this.#leading = true;
        this.#o.logger.info({ identity: this.#o.identity }, 'became the leader');
        this.#o.onStartedLeading();
      }
    } else if (this.#leading && now - this.#lastRenew >= this.#o.renewDeadlineMs) {
      this.#stepDown(`could not renew the lease for ${this.#o.renewDeadlineMs} ms`);
    }
    this.#schedule(this.#o.retryPeriodMs);
  }

  #stepDown(why: string): void {
    if (!this.#leading) return;
    this.#leading = false;
    this.#o.logger.warn({ identity: this.#o.identity }, `stopped leading: ${why}`);
    this.#o.onStoppedLeading();
  }

  #path(): string {
    return objectPath(RESOURCES.leases, this.#o.name, this.#o.namespace);
  }

  #record(now: number, previous: LeaseSpec | undefined): LeaseSpec {
    const mine = previous?.holderIdentity === this.#o.identity;
    const time = rfc3339Micro(now);
    return {
      holderIdentity: this.#o.identity,
      leaseDurationSeconds: Math.ceil(this.#o.leaseDurationMs / 1_000),
      acquireTime: mine ? (previous?.acquireTime ?? time) : time,
      renewTime: time,
      leaseTransitions: (previous?.leaseTransitions ?? 0) + (mine || previous === undefined ? 0 : 1),
    };
  }

  /** True when this replica holds the lease after the call. */
  async #tryAcquireOrRenew(): Promise<boolean> {
    const { rest, clock } = this.#o;
    const now = clock.now();
    let lease: Lease;
    try {
      lease = await rest.request<Lease>({ method: 'GET', path: this.#path() });
    } catch (err) {
      if (!isErrorCode(err, 'NOT_FOUND')) throw err;
      return this.#create(now);
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseDurationSeconds]);
    if (this.#observed?.record !== record) this.#observed = { record, at: now };
    const holder = spec.holderIdentity ?? '';
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1_000;
    const expired = now >= this.#observed.at + durationMs;
    if (holder !== '' && holder !== this.#o.identity && !expired) return false;
    const body: Lease = { ...lease, spec: this.#record(now, spec) };
    try {
      await rest.request({ method: 'PUT', path: this.#path(), body });
      return true;
    } catch (err) {
      if (isErrorCode(err, 'CONFLICT')) return false;
      throw err;
    }
  }

  async #create(now: number): Promise<boolean> {
    const body: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.#o.name, namespace: this.#o.namespace },
      spec: this.#record(now, undefined),
    };
    try {
      await this.#o.rest.request({ method: 'POST', path: collectionPath(RESOURCES.leases, this.#o.namespace), body });
      return true;
    } catch (err) {
      if (isErrorCode(err, 'ALREADY_EXISTS') || isErrorCode(err, 'CONFLICT')) return false;
      throw err;
    }
  }

  /** Gives the lease up: no holder, a one-second duration (client-go does the same). */
  async #release(): Promise<void> {
    const lease = await this.#o.rest.request<Lease>({ method: 'GET', path: this.#path() });
    if (lease.spec?.holderIdentity !== this.#o.identity) return;
    const time = rfc3339Micro(this.#o.clock.now());
    const spec: LeaseSpec = {
      ...lease.spec,
      holderIdentity: '',
      leaseDurationSeconds: 1,
      renewTime: time,
      acquireTime: time,
    };
    await this.#o.rest.request({ method: 'PUT', path: this.#path(), body: { ...lease, spec } });
  }
}
