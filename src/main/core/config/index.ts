export type { ConfigIssue, ConfigIssueCode, StackLoadOptions, StackLoadResult } from './types.js';
export { loadStack, parseStack, STACK_FILE_NAMES } from './load.js';
export { displayPath, formatIssue, type FormatIssueOptions } from './format.js';
export { isSecretEnvKey, SECRET_ENV_RE } from './env.js';
export { interpolate, type InterpolationResult } from './interpolate.js';
export { MAX_ALIASES, MAX_EXPANDED_NODES, MAX_STACK_BYTES } from './yaml-source.js';
