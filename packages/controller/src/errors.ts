// Adapter errors are typed: a code the caller can branch on, the HTTP status when there is one, and the cause.
// API calls fail with @multinic/kube's KubeError; the controller's own refusals (not the leader, a bad
// configuration) are ControllerErrors with the same shape, and isErrorCode asks either.
import { KubeError, type KubeErrorCode } from '@multinic/kube';

export type ControllerErrorCode = KubeErrorCode | 'NOT_LEADER';

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
  return (err instanceof ControllerError || err instanceof KubeError) && err.code === code;
}
