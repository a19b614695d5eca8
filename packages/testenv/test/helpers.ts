import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiException } from '@kubernetes/client-node';

export { eventually, until } from '@multinic/testenv';

export const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const widgetCrd = path.join(fixtures, 'widgets.testenv.multinic.io.yaml');
export const widgets = { group: 'testenv.multinic.io', version: 'v1alpha1', plural: 'widgets' } as const;

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
