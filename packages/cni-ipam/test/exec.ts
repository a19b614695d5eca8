// The plugin executables of this package, run as a runtime runs them (shared helper in test-support/).
import { pluginExecutable } from '../../../test-support/cni-exec.js';

export { runPlugin } from '../../../test-support/cni-exec.js';
export type { ExecOutcome } from '../../../test-support/cni-exec.js';

/** The executable `name` of this package, or a loud failure saying how to build it. */
export function executable(name: string): string {
  return pluginExecutable('cni-ipam', name);
}
