// Errors by layer (CONVENTIONS §9): the agent's API answers with an HTTP status and the agent wire error
// (`AgentError`: CNI code, message, the request field at fault).
import type { AgentError } from '@multinic/crd-types';

export interface ApiFailure {
  /** HTTP status of the answer. */
  readonly status: number;
  readonly error: AgentError;
}

export function failure(options: {
  status: number;
  code: number;
  msg: string;
  field?: string;
  details?: string;
}): ApiFailure {
  const error: { -readonly [K in keyof AgentError]: AgentError[K] } = { code: options.code, msg: options.msg };
  if (options.field !== undefined) error.field = options.field;
  if (options.details !== undefined) error.details = options.details;
  return { status: options.status, error };
}

export type Outcome<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: ApiFailure };

export function okValue<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

export function failed<T>(f: ApiFailure): Outcome<T> {
  return { ok: false, failure: f };
}

/** Adapter errors with a code and a cause; the entry point maps them to exit codes. */
export class AgentStartError extends Error {
  readonly code: 'CONFIG' | 'SOCKET_IN_USE' | 'CHECKPOINT' | 'KUBECONFIG';
  constructor(code: AgentStartError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AgentStartError';
    this.code = code;
  }
}
