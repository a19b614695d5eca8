import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import type { DaemonConfigResult, DaemonIo, DaemonSpec, RunningDaemon } from './daemon.js';
import { runDaemon } from './daemon.js';

interface Config {
  readonly logLevel: string;
  readonly node: string;
}

/** A process as runDaemon sees it: argv, output, signals from an EventEmitter, exits and log lines recorded. */
class Harness {
  readonly out: string[] = [];
  readonly err: string[] = [];
  readonly exits: number[] = [];
  readonly logs: Record<string, unknown>[] = [];
  readonly signals = new EventEmitter();
  readonly calls: string[] = [];

  io(argv: readonly string[]): DaemonIo {
    return {
      argv,
      env: { NODE: 'n1' },
      stdout: (t) => void this.out.push(t),
      stderr: (t) => void this.err.push(t),
      signals: this.signals,
      exit: (code) => void this.exits.push(code),
      logDestination: { write: (line: string) => void this.logs.push(JSON.parse(line) as Record<string, unknown>) },
    };
  }

  spec(
    options: {
      start?: () => Promise<RunningDaemon>;
      exitCodeOf?: (err: unknown) => number;
      config?: DaemonConfigResult<Config>;
    } = {},
  ): DaemonSpec<Config> {
    const spec: DaemonSpec<Config> = {
      name: 'multinic-test',
      version: () => '1.2.3',
      parseConfig: ({ argv, env }) => {
        this.calls.push(`parse ${argv.join(' ')}`);
        return options.config ?? { ok: true, config: { logLevel: 'info', node: env['NODE'] ?? '' } };
      },
      logFields: (config) => ({ node: config.node }),
      start:
        options.start ??
        (() => {
          this.calls.push('start');
          return Promise.resolve(this.daemon());
        }),
    };
    return options.exitCodeOf === undefined ? spec : { ...spec, exitCodeOf: options.exitCodeOf };
  }

  daemon(failed?: Promise<never>): RunningDaemon {
    const stop = (): Promise<void> => {
      this.calls.push('stop');
      return Promise.resolve();
    };
    return failed === undefined ? { stop } : { stop, failed };
  }

  listeners(): number {
    return this.signals.listenerCount('SIGTERM') + this.signals.listenerCount('SIGINT');
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('runDaemon', () => {
  it('--version prints "<name> <version>" and exits 0 before reading any configuration', async () => {
    const h = new Harness();
    expect(await runDaemon(h.spec(), h.io(['--version', '--no-such-flag']))).toBe(0);
    expect(h.out).toEqual(['multinic-test 1.2.3\n']);
    expect(h.calls).toEqual([]);
  });

  it.each([
    {
      what: 'help',
      config: { ok: 'help', text: 'usage: multinic-test' } as const,
      code: 0,
      stdout: ['usage: multinic-test\n'],
      stderr: [],
    },
    {
      what: 'a configuration error',
      config: { ok: false, problems: ['nodeName: required', 'port: too big'] } as const,
      code: 2,
      stdout: [],
      stderr: ['multinic-test: invalid configuration:\n  nodeName: required\n  port: too big\n'],
    },
  ])('$what: exit $code, nothing started, no signal listeners left', async ({ config, code, stdout, stderr }) => {
    const h = new Harness();
    expect(await runDaemon(h.spec({ config }), h.io(['--x']))).toBe(code);
    expect({ out: h.out, err: h.err, calls: h.calls, listeners: h.listeners() }).toEqual({
      out: stdout,
      err: stderr,
      calls: ['parse --x'],
      listeners: 0,
    });
  });

  it('SIGTERM stops the daemon once and exits 0; the log lines carry ISO time, level names, component and fields', async () => {
    const h = new Harness();
    const run = runDaemon(h.spec(), h.io([]));
    await tick();
    expect(h.calls).toEqual(['parse ', 'start']);
    h.signals.emit('SIGTERM');
    expect(await run).toBe(0);
    expect(h.calls).toEqual(['parse ', 'start', 'stop']);
    expect(h.exits).toEqual([]);
    expect(h.listeners()).toBe(0);
    const stopping = h.logs.find((l) => l['msg'] === 'stopping');
    expect(stopping).toMatchObject({ level: 'info', component: 'multinic-test', node: 'n1', signal: 'SIGTERM' });
    expect(String(stopping?.['time'])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it.each([
    { second: 'SIGINT', code: 130 },
    { second: 'SIGTERM', code: 143 },
  ] as const)('a second signal ($second) while stopping exits at once with $code', async ({ second, code }) => {
    const h = new Harness();
    let finishStop: () => void = () => undefined;
    const slowStop = new Promise<void>((resolve) => {
      finishStop = resolve;
    });
    const run = runDaemon(h.spec({ start: () => Promise.resolve({ stop: () => slowStop }) }), h.io([]));
    await tick();
    h.signals.emit('SIGTERM');
    await tick();
    expect(h.exits).toEqual([]);
    h.signals.emit(second);
    expect(h.exits).toEqual([code]);
    finishStop();
    expect(await run).toBe(0);
  });

  it('a signal while starting stops the daemon once it has started', async () => {
    const h = new Harness();
    let started: (d: RunningDaemon) => void = () => undefined;
    const run = runDaemon(h.spec({ start: () => new Promise((resolve) => (started = resolve)) }), h.io([]));
    await tick();
    h.signals.emit('SIGINT');
    await tick();
    expect(h.calls).toEqual(['parse ']);
    started(h.daemon());
    expect(await run).toBe(0);
    expect(h.calls).toEqual(['parse ', 'stop']);
  });

  it.each([
    {
      what: 'a known failure mapped by exitCodeOf',
      exitCodeOf: (err: unknown) => ((err as Error).message === 'socket in use' ? 3 : 1),
      code: 3,
    },
    { what: 'an error without a mapping', exitCodeOf: undefined, code: 1 },
  ])('a start-up failure is logged as fatal and exits with its code: $what', async ({ exitCodeOf, code }) => {
    const h = new Harness();
    const start = (): Promise<RunningDaemon> => Promise.reject(new Error('socket in use'));
    const spec = exitCodeOf === undefined ? h.spec({ start }) : h.spec({ start, exitCodeOf });
    expect(await runDaemon(spec, h.io([]))).toBe(code);
    expect(h.logs.find((l) => l['level'] === 'fatal')).toMatchObject({
      msg: 'multinic-test failed to start',
      exitCode: code,
      err: { message: 'socket in use' },
    });
    expect(h.listeners()).toBe(0);
  });

  it('a daemon that fails while running is stopped and exits 1', async () => {
    const h = new Harness();
    const failed = Promise.reject(new Error('lost the lease'));
    const run = runDaemon(h.spec({ start: () => Promise.resolve(h.daemon(failed)) }), h.io([]));
    expect(await run).toBe(1);
    expect(h.calls).toEqual(['parse ', 'stop']);
    expect(h.logs.find((l) => l['level'] === 'fatal')).toMatchObject({
      msg: 'multinic-test failed',
      err: { message: 'lost the lease' },
    });
  });

  it('a stop that throws exits 1', async () => {
    const h = new Harness();
    const run = runDaemon(
      h.spec({ start: () => Promise.resolve({ stop: () => Promise.reject(new Error('flush failed')) }) }),
      h.io([]),
    );
    await tick();
    h.signals.emit('SIGTERM');
    expect(await run).toBe(1);
    expect(h.logs.find((l) => l['level'] === 'fatal')).toMatchObject({ msg: 'multinic-test did not stop cleanly' });
  });
});
