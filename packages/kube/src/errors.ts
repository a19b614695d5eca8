// One error type for every Kubernetes API call (CONVENTIONS §9): a code to branch on, the HTTP status and the
// Status reason when the server answered, and the cause when it did not.

export type KubeErrorCode =
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'ALREADY_EXISTS'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'INVALID'
  | 'GONE'
  | 'UNAVAILABLE'
  | 'API_ERROR'
  | 'CONFIG';

export class KubeError extends Error {
  override readonly name = 'KubeError';
  readonly code: KubeErrorCode;
  /** HTTP status of the answer, 0 when the request got none (connection refused, timeout, bad configuration). */
  readonly status: number;
  /** The Status reason the server gave (e.g. `AlreadyExists`), when it gave one. */
  readonly reason: string | undefined;

  constructor(
    code: KubeErrorCode,
    message: string,
    options: { status?: number; reason?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? 0;
    this.reason = options.reason;
  }
}

/** The code of an API answer. 409 is CONFLICT for an update and ALREADY_EXISTS for a create (the reason says which). */
export function codeOfStatus(status: number, reason: string | undefined): KubeErrorCode {
  if (status === 404) return 'NOT_FOUND';
  if (status === 409) return reason === 'AlreadyExists' ? 'ALREADY_EXISTS' : 'CONFLICT';
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 410) return 'GONE';
  if (status === 400 || status === 422) return 'INVALID';
  if (status === 429 || status >= 500 || status === 0) return 'UNAVAILABLE';
  return 'API_ERROR';
}

/** True when `err` is a KubeError (with `code`, when given). */
export function isKubeError(err: unknown, code?: KubeErrorCode): err is KubeError {
  return err instanceof KubeError && (code === undefined || err.code === code);
}

/** True for failures worth retrying later: the server unreachable, overloaded or timing out. */
export function isTransient(err: unknown): boolean {
  return isKubeError(err, 'UNAVAILABLE');
}
