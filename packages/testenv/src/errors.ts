/** What went wrong while starting or driving the test control plane. */
export type TestEnvErrorCode = 'TOOLS_MISSING' | 'START_FAILED' | 'TIMEOUT' | 'NOT_RUNNING' | 'CRD_INVALID';

/** An error of the test environment; `code` says which kind, the message says what to do. */
export class TestEnvError extends Error {
  readonly code: TestEnvErrorCode;

  constructor(code: TestEnvErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TestEnvError';
    this.code = code;
  }
}
