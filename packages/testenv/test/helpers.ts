import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiException } from '@kubernetes/client-node';

export const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const widgetCrd = path.join(fixtures, 'widgets.testenv.multinic.io.yaml');
export const widgets = { group: 'testenv.multinic.io', version: 'v1alpha1', plural: 'widgets' } as const;

/** Retry `fn` until it returns without throwing, or rethrow its last error after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

/** The HTTP status and Status.message of a failed API call (throws if the call succeeded or failed otherwise). */
export async function apiStatus(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ApiException) return { code: err.code, message: statusMessage(err.body) };
    throw err;
  }
  throw new Error('expected the API call to fail');
}

function statusMessage(body: unknown): string {
  const parsed: unknown = typeof body === 'string' ? JSON.parse(body) : body;
  return (parsed as { message?: string } | null)?.message ?? String(body);
}

/** Resolves once `predicate` holds, polling every 50 ms; rejects after `timeoutMs`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
