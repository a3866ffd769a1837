export { LineSplitter, DEFAULT_MAX_LINE_BYTES, truncationMarker } from './lines.js';
export { LogRing, type LogEntry } from './ring.js';
export { RotatingLogFile, type RotatingLogFileOptions } from './logfile.js';
export { ServiceLogs, serviceLogPath, type ServiceLogsOptions } from './logs.js';
export {
  spawnService,
  newMarker,
  resolveExecutable,
  MARKER_ENV,
  type SpawnRequest,
  type ExitInfo,
  type ServiceProcess,
} from './spawn.js';
export { stopService, groupMembers, type StopResult, type StopOptions } from './stop.js';
export {
  killMarked,
  findMarked,
  findMarkedShared,
  killMarkedShared,
  markedProcesses,
} from './marker.js';
export {
  countTree,
  processLimitWatcher,
  ProcessLimitWatcher,
  type BoundedProcess,
} from './limits.js';
export { pidsCgroupsAvailable, usePidsCgroups, type PidsCgroup } from './cgroup.js';
export { isPortInUse, findPortHolder } from './ports.js';
export { realLauncher, type Launcher, type LaunchedProcess, type OutputSink } from './launcher.js';
export {
  ProcessLedger,
  sweepOrphans,
  judgeOrphan,
  type LedgerEntry,
  type OrphanVerdict,
} from './ledger.js';
export {
  PROC_AVAILABLE,
  NO_PROC_MESSAGE,
  isAlive,
  readStartTime,
  describeProcess,
} from './procfs.js';
