export { runCni, LATEST_CNI_VERSION } from './skel.js';
export type {
  AddArgs,
  AttachmentArgs,
  CheckArgs,
  CniIo,
  CniPlugin,
  ConfigArgs,
  DelArgs,
  GcArgs,
  HandlerContext,
  StatusArgs,
} from './skel.js';
export { pluginMain, processIo } from './main.js';
export { CNI_COMMANDS, interfaceNameProblem, parseEnvironment } from './env.js';
export type { Environment, Invocation } from './env.js';
export { decodeConfig, prevResultOf, validAttachmentsOf } from './config.js';
export type { DecodedConfig, JsonObject } from './config.js';
export {
  CNI_OTHER_ERROR,
  CniFailure,
  decodingFailure,
  incompatibleVersion,
  invalidConfig,
  invalidEnvironment,
  toCniError,
} from './errors.js';
export type { CniFailureOptions } from './errors.js';
export { LOG_LEVELS, createLogger, logLevelOf } from './log.js';
export type { LogFields, LogLevel, Logger, LoggerOptions } from './log.js';
export { findPlugin, invokeDelegate } from './invoke.js';
export type { DelegateInvocation } from './invoke.js';
export { BUILD_VERSION } from './version.js';
