/**
 * A failure: `error` says what was wrong and what to do (for people), `code` which kind of failure it is (for
 * programs, see codes.ts). Without a code type (`C` = never) it has no `code`: the shape packages that reuse `Result`
 * for their own results keep.
 */
export type Failure<C extends string = never> = { readonly ok: false; readonly error: string } & ([C] extends [never]
  ? unknown
  : { readonly code: C });

/** The outcome of an operation that can fail on bad input: errors are values, never exceptions. */
export type Result<T, C extends string = never> = { readonly ok: true; readonly value: T } | Failure<C>;

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function err<C extends string>(
  code: C,
  error: string,
): { readonly ok: false; readonly error: string; readonly code: C } {
  return { ok: false, error, code };
}
