// Runs an async task serially and coalesces requests: every caller waits for a run that started after its call,
// and all callers that arrive while a run is in progress share the next run.
export class Coalesced {
  readonly #task: () => Promise<void>;
  #inflight: Promise<void> = Promise.resolve();
  #next: Promise<void> | undefined;

  constructor(task: () => Promise<void>) {
    this.#task = task;
  }

  run(): Promise<void> {
    if (this.#next !== undefined) return this.#next;
    const next = this.#inflight
      .catch(() => undefined)
      .then(() => {
        this.#next = undefined;
        return this.#task();
      });
    this.#next = next;
    this.#inflight = next;
    return next;
  }

  /** Resolves when the run in progress (if any) has finished, successfully or not. */
  settled(): Promise<void> {
    return this.#inflight.catch(() => undefined);
  }
}

/** A coalesced task that also runs every `intervalMs`; errors go to `onError`. */
export class Periodic {
  readonly #coalesced: Coalesced;
  readonly #intervalMs: number;
  readonly #onError: (err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: { task: () => Promise<void>; intervalMs: number; onError: (err: unknown) => void }) {
    this.#coalesced = new Coalesced(options.task);
    this.#intervalMs = options.intervalMs;
    this.#onError = options.onError;
  }

  start(): void {
    this.#timer = setInterval(() => void this.trigger().catch(() => undefined), this.#intervalMs);
    this.#timer.unref();
    void this.trigger().catch(() => undefined);
  }

  /** Runs soon; resolves after a run that started after this call (rejects with its error). */
  trigger(): Promise<void> {
    const run = this.#coalesced.run();
    run.catch((err: unknown) => this.#onError(err));
    return run;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#coalesced.settled();
  }
}
