/**
 * The process ledger: `<dataDir>/processes.json` lists the process groups Vigil started. When
 * Vigil is SIGKILLed its services keep running; the next Vigil reads the ledger and ends them, but
 * only a process whose pid, start time and command line (or marker) all match what was recorded:
 * a pid reused by an unrelated program is left alone. Escaped descendants are found by marker.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  environHasEntry,
  isAlive,
  readBootId,
  readCmdline,
  readEnviron,
  readStat,
} from './procfs.js';
import { MARKER_ENV, findMarked, killMarked } from './marker.js';
import { groupMembers } from './stop.js';

export interface LedgerEntry {
  readonly service: string;
  readonly pid: number;
  readonly startTime: string | null;
  /** The command line as started (`ServiceProcess.commandLine`). */
  readonly command: string;
  readonly marker: string;
  /** Wall-clock time of recording. */
  readonly recordedAt: number;
}

interface LedgerFile {
  readonly version: 1;
  readonly bootId: string | null;
  readonly entries: readonly LedgerEntry[];
}

export const LEDGER_FILE = 'processes.json';

function isEntry(x: unknown): x is LedgerEntry {
  if (typeof x !== 'object' || x === null) return false;
  const e = x as Record<string, unknown>;
  return (
    typeof e.service === 'string' &&
    typeof e.pid === 'number' &&
    Number.isInteger(e.pid) &&
    (e.startTime === null || typeof e.startTime === 'string') &&
    typeof e.command === 'string' &&
    typeof e.marker === 'string'
  );
}

export interface LedgerOptions {
  onWarning?: (message: string) => void;
  /**
   * Defers writes: changes made in one burst (a stack launch spawns every service in one turn)
   * are written once, when `schedule` calls back. Without it every change is written at once.
   */
  schedule?: (write: () => void) => void;
}

export class ProcessLedger {
  readonly file: string;
  private list: LedgerEntry[] = [];
  /** Boot the recorded entries belong to (start times only compare within one boot). */
  private recordedBoot: string | null;
  private readonly onWarning: ((message: string) => void) | undefined;
  private readonly schedule: ((write: () => void) => void) | undefined;
  private dirty = false;
  private writeScheduled = false;

  constructor(dataDir: string, opts: LedgerOptions = {}) {
    this.file = path.join(path.resolve(dataDir), LEDGER_FILE);
    this.onWarning = opts.onWarning;
    this.schedule = opts.schedule;
    this.recordedBoot = readBootId();
    this.load();
  }

  /** Boot id of the recorded entries; null when unknown. */
  get bootId(): string | null {
    return this.recordedBoot;
  }

  record(entry: Omit<LedgerEntry, 'recordedAt'> & { recordedAt?: number }): void {
    if (!(entry.pid > 0)) return;
    if (this.list.length === 0) this.recordedBoot = readBootId();
    this.list = this.list.filter((e) => e.pid !== entry.pid);
    this.list.push({ ...entry, recordedAt: entry.recordedAt ?? Date.now() });
    this.changed();
  }

  forget(pid: number): void {
    const before = this.list.length;
    this.list = this.list.filter((e) => e.pid !== pid);
    if (this.list.length !== before) this.changed();
  }

  /** Writes a deferred change now (no-op when everything is on disk). */
  flush(): void {
    if (this.dirty) this.save();
  }

  entries(): LedgerEntry[] {
    return [...this.list];
  }

  clear(): void {
    this.list = [];
    this.recordedBoot = readBootId();
    this.save();
  }

  private changed(): void {
    this.dirty = true;
    if (!this.schedule) {
      this.save();
      return;
    }
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    this.schedule(() => {
      this.writeScheduled = false;
      this.flush();
    });
  }

  private load(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.onWarning?.(`cannot read ${this.file}: ${(err as Error).message}`);
      }
      return;
    }
    try {
      const data = JSON.parse(text) as Partial<LedgerFile>;
      const entries = Array.isArray(data.entries) ? data.entries : [];
      this.list = entries.filter(isEntry).map((e) => ({
        ...e,
        recordedAt: typeof e.recordedAt === 'number' ? e.recordedAt : 0,
      }));
      this.recordedBoot = typeof data.bootId === 'string' ? data.bootId : null;
    } catch {
      this.onWarning?.(`${this.file} is not valid JSON; previous processes cannot be checked`);
    }
  }

  private save(): void {
    this.dirty = false;
    const data: LedgerFile = { version: 1, bootId: this.recordedBoot, entries: this.list };
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      fs.writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
      fs.renameSync(tmp, this.file);
    } catch (err) {
      this.onWarning?.(`cannot write ${this.file}: ${(err as Error).message}`);
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        // nothing more to do
      }
    }
  }
}

/** What is known about the live process at a recorded pid. */
export interface LiveProcess {
  readonly startTime: string;
  readonly cmdline: string;
  readonly hasMarker: boolean;
}

export type OrphanVerdict =
  { readonly kill: true } | { readonly kill: false; readonly why: string };

/** Pure: may the recorded process group be ended? */
export function judgeOrphan(
  entry: LedgerEntry,
  live: LiveProcess | null,
  sameBoot: boolean,
): OrphanVerdict {
  if (!sameBoot) return { kill: false, why: 'recorded before a reboot' };
  if (live === null) return { kill: false, why: 'not running' };
  if (entry.startTime === null || live.startTime !== entry.startTime) {
    return { kill: false, why: `start time differs (pid ${entry.pid} was reused)` };
  }
  if (live.cmdline !== entry.command && !live.hasMarker) {
    return { kill: false, why: `command line differs: ${live.cmdline}` };
  }
  return { kill: true };
}

function inspect(pid: number, marker: string): LiveProcess | null {
  const stat = readStat(pid);
  if (!stat || !isAlive(pid)) return null;
  const environ = readEnviron(pid);
  return {
    startTime: stat.startTime,
    cmdline: (readCmdline(pid) ?? []).join(' '),
    hasMarker:
      marker !== '' &&
      environ !== null &&
      environHasEntry(environ, Buffer.from(`${MARKER_ENV}=${marker}`)),
  };
}

const POLL_MS = 50;

async function endOrphan(entry: LedgerEntry, graceMs: number): Promise<void> {
  const signalAll = (signal: NodeJS.Signals): void => {
    // Re-check identity before every signal: the leader may have exited and its pid been reused.
    const leaderIsOurs = readStat(entry.pid)?.startTime === entry.startTime;
    const marked = new Set(findMarked(entry.marker));
    const groupIsOurs = leaderIsOurs || groupMembers(entry.pid).some((pid) => marked.has(pid));
    const targets = [...(groupIsOurs ? [-entry.pid] : []), ...(leaderIsOurs ? [entry.pid] : [])];
    for (const target of targets) {
      try {
        process.kill(target, signal);
      } catch {
        // gone
      }
    }
    killMarked(entry.marker, signal);
  };
  signalAll('SIGTERM');
  const deadline = performance.now() + graceMs;
  const gone = (): boolean =>
    !(readStat(entry.pid)?.startTime === entry.startTime && isAlive(entry.pid)) &&
    groupMembers(entry.pid).length === 0 &&
    findMarked(entry.marker).length === 0;
  while (!gone() && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  if (!gone()) signalAll('SIGKILL');
}

/**
 * Ends the process groups a previous Vigil left behind, then clears the ledger. A group is only
 * signalled when its leader's pid, start time and command line (or marker) match; processes that
 * carry a recorded marker are ended in any case (the marker is unique to that run).
 */
export async function sweepOrphans(
  ledger: ProcessLedger,
  opts: { graceMs?: number } = {},
): Promise<{ killed: LedgerEntry[]; skipped: { entry: LedgerEntry; why: string }[] }> {
  const graceMs = opts.graceMs ?? 2_000;
  const current = readBootId();
  const sameBoot = current === null || ledger.bootId === null || current === ledger.bootId;
  const killed: LedgerEntry[] = [];
  const skipped: { entry: LedgerEntry; why: string }[] = [];
  await Promise.all(
    ledger.entries().map(async (entry) => {
      const verdict = judgeOrphan(entry, inspect(entry.pid, entry.marker), sameBoot);
      if (verdict.kill) {
        await endOrphan(entry, graceMs);
        killed.push(entry);
        return;
      }
      // The pid is not ours any more, but escaped descendants may still carry the marker.
      const escaped = sameBoot ? killMarked(entry.marker, 'SIGKILL') : 0;
      if (escaped > 0) killed.push(entry);
      else skipped.push({ entry, why: verdict.why });
    }),
  );
  ledger.clear();
  return { killed, skipped };
}
