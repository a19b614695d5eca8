// Adapter errors are typed: a code the caller can branch on, the HTTP status when there is one, and the cause.

export type ControllerErrorCode =
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'ALREADY_EXISTS'
  | 'FORBIDDEN'
  | 'INVALID'
  | 'UNAVAILABLE'
  | 'API_ERROR'
  | 'CONFIG'
  | 'NOT_LEADER';

export class ControllerError extends Error {
  override readonly name = 'ControllerError';
  readonly code: ControllerErrorCode;
  /** HTTP status of a failed API call, 0 when the request did not get an answer. */
  readonly status: number;

  constructor(code: ControllerErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? 0;
  }
}

export function isErrorCode(err: unknown, code: ControllerErrorCode): boolean {
  return err instanceof ControllerError && err.code === code;
}

/** The code of an API answer. 409 is CONFLICT for an update and ALREADY_EXISTS for a create (reason says which). */
export function codeOfStatus(status: number, reason: string | undefined): ControllerErrorCode {
  if (status === 404) return 'NOT_FOUND';
  if (status === 409) return reason === 'AlreadyExists' ? 'ALREADY_EXISTS' : 'CONFLICT';
  if (status === 401 || status === 403) return 'FORBIDDEN';
  if (status === 400 || status === 422) return 'INVALID';
  if (status === 429 || status >= 500 || status === 0) return 'UNAVAILABLE';
  return 'API_ERROR';
}
