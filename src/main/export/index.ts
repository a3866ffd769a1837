export type {
  EnvFileReader,
  ExportFile,
  ExportNote,
  ExportObject,
  ExportResult,
  NoteTopic,
} from './types.js';
export { exportKubernetes, type KubernetesOptions } from './kubernetes.js';
export { exportCompose, type ComposeOptions } from './compose.js';
export { WAIT_IMAGES } from './k8s-waits.js';
export {
  buildExport,
  EXPORT_MARK,
  EXPORT_TARGETS,
  readEnvFileFromDisk,
  writeExport,
  type ExportOutcome,
  type ExportRequest,
  type ExportTarget,
} from './write.js';
