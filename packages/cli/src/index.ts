export { runCli, USAGE } from './main.js';
export { EXIT, InputError } from './io.js';
export type { CliIO } from './io.js';
export { CONVERTED_CONTAINER_PREFIX, LEGACY_API_GROUPS, migrateObjects } from './legacy/convert.js';
export type { MigrateResult, MigrateSource } from './legacy/convert.js';
