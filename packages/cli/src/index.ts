export { runCli, USAGE } from './main.js';
export { EXIT, InputError } from './io.js';
export type { CliIO } from './io.js';
