/** The history store (SQLite). */
export {
  HistoryStore,
  DB_FILE,
  RESTART_ACTIONS,
  MAX_DETAIL_CHARS,
  type HistoryStoreOptions,
  type StoreFaults,
} from './history-store.js';
export type {
  RunRow,
  RunEnd,
  ProbeRow,
  HealthBucket,
  ResourceBucket,
  ServiceStats,
  TimeRange,
  HistoryState,
  HistoryStatus,
} from './types.js';
export {
  availabilityStats,
  replayAvailability,
  type Availability,
  type AvailabilityResult,
  type AvailabilityStats,
  type Outage,
  type TimelineItem,
} from './availability.js';
export { MIGRATIONS, SCHEMA_VERSION, SQL, migrate, type Migration } from './schema.js';
