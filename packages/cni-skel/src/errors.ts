// Failures of a CNI plugin, carried as one typed error from wherever they happen to the entry point, which prints
// them as the spec's error JSON (`{cniVersion, code, msg, details}`) on stdout with a non-zero exit.
import { CniErrorCode, cniError } from '@multinic/crd-types';
import type { CniError } from '@multinic/crd-types';

/** The code of a failure that fits none of the spec's codes ("other"; libcni calls it ErrInternal). */
export const CNI_OTHER_ERROR = 999;

export interface CniFailureOptions {
  readonly code: number;
  /** What went wrong and what to do about it. */
  readonly msg: string;
  readonly details?: string | undefined;
  readonly cause?: unknown;
}

/** A failure with its CNI error code: handlers throw it, the skeleton prints it. */
export class CniFailure extends Error {
  readonly code: number;
  readonly details: string | undefined;

  constructor(options: CniFailureOptions) {
    super(options.msg, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CniFailure';
    this.code = options.code;
    this.details = options.details;
  }
}

/** `CniFailure` with the spec's code 4 (invalid necessary environment variables). */
export function invalidEnvironment(msg: string, details?: string): CniFailure {
  return new CniFailure({ code: CniErrorCode.InvalidEnvironment, msg, details });
}

/** `CniFailure` with the spec's code 7 (invalid network configuration). */
export function invalidConfig(msg: string, details?: string): CniFailure {
  return new CniFailure({ code: CniErrorCode.InvalidNetworkConfig, msg, details });
}

/** `CniFailure` with the spec's code 6 (failed to decode content). */
export function decodingFailure(msg: string, details?: string): CniFailure {
  return new CniFailure({ code: CniErrorCode.DecodingFailure, msg, details });
}

/** `CniFailure` with the spec's code 1 (incompatible CNI version). */
export function incompatibleVersion(msg: string, details?: string): CniFailure {
  return new CniFailure({ code: CniErrorCode.IncompatibleVersion, msg, details });
}

function causeChain(err: Error): string | undefined {
  const parts: string[] = [];
  let cause: unknown = err.cause;
  while (cause instanceof Error && parts.length < 5) {
    parts.push(cause.message);
    cause = cause.cause;
  }
  return parts.length === 0 ? undefined : `caused by: ${parts.join(': ')}`;
}

/** Any thrown value as the spec's error object; unknown errors become code 999 with their message. */
export function toCniError(err: unknown, cniVersion: string): CniError {
  if (err instanceof CniFailure) {
    const details = err.details ?? causeChain(err);
    return cniError({ cniVersion, code: err.code, msg: err.message, ...(details === undefined ? {} : { details }) });
  }
  if (err instanceof Error) {
    const details = causeChain(err);
    return cniError({
      cniVersion,
      code: CNI_OTHER_ERROR,
      msg: err.message || err.name,
      ...(details === undefined ? {} : { details }),
    });
  }
  return cniError({ cniVersion, code: CNI_OTHER_ERROR, msg: `unexpected failure: ${String(err)}` });
}
