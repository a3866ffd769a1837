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
import { MARKER_ENV, findMarkedShared, killMarkedShared } from './marker.js';
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

/** The first line of the journal. */
interface LedgerHeader {
  readonly version: 2;
  readonly bootId: string | null;
}

export const LEDGER_FILE = 'processes.jsonl';

/** The journal is rewritten (compacted) when it holds this many more lines than live entries. */
const COMPACT_SLACK = 512;

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
   * are appended in one write, when `schedule` calls back. Without it every change is written at
   * once.
   */
  schedule?: (write: () => void) => void;
}

/**
 * An append-only journal (`<dataDir>/processes.jsonl`): a header line with the boot id, then one
 * line per change (`{"add":{...}}`, `{"forget":pid}`). A spawn or an exit costs one small
 * `write(2)` on an open descriptor (a crash-restart is on the clock); the file is rewritten
 * (temp file + rename) only to compact it, when it has grown well past the live entries.
 * A torn last line (power loss mid-write) is skipped when read.
 */
export class ProcessLedger {
  readonly file: string;
  private list: LedgerEntry[] = [];
  /** Run markers recorded by `beginRun` (every process of a run carries `<run>:` in its marker). */
  private runList: string[] = [];
  /** Boot the recorded entries belong to (start times only compare within one boot). */
  private recordedBoot: string | null;
  private readonly onWarning: ((message: string) => void) | undefined;
  private readonly schedule: ((write: () => void) => void) | undefined;
  private pending: string[] = [];
  private writeScheduled = false;
  private fd: number | null = null;
  /** Lines in the journal on disk (header included). */
  private lines = 0;

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
    if (this.list.length === 0 && this.recordedBoot !== readBootId()) {
      // Entries of another boot are gone from the list: start a journal for this boot.
      this.recordedBoot = readBootId();
      this.rewrite();
    }
    const full: LedgerEntry = { ...entry, recordedAt: entry.recordedAt ?? Date.now() };
    this.list = this.list.filter((e) => e.pid !== entry.pid);
    this.list.push(full);
    this.append(JSON.stringify({ add: full }));
  }

  forget(pid: number): void {
    const before = this.list.length;
    this.list = this.list.filter((e) => e.pid !== pid);
    if (this.list.length !== before) this.append(JSON.stringify({ forget: pid }));
  }

  /** Writes deferred changes now (no-op when everything is on disk). */
  flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.join('\n') + '\n';
    const count = this.pending.length;
    this.pending = [];
    if (this.lines + count > (this.list.length + this.runList.length) * 2 + COMPACT_SLACK) {
      this.rewrite();
      return;
    }
    try {
      if (this.fd === null) {
        if (this.lines === 0) {
          this.rewrite();
          return;
        }
        this.fd = fs.openSync(
          this.file,
          fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_NOFOLLOW,
        );
      }
      fs.writeSync(this.fd, text);
      this.lines += count;
    } catch (err) {
      this.onWarning?.(`cannot write ${this.file}: ${(err as Error).message}`);
      this.closeFd();
      // The next change rewrites the whole journal from memory.
      this.lines = 0;
    }
  }

  entries(): LedgerEntry[] {
    return [...this.list];
  }

  /** Run markers of the runs recorded here (see `beginRun`). */
  runs(): string[] {
    return [...this.runList];
  }

  /**
   * Records, on disk before anything is spawned, that processes of this run carry markers that
   * start with `<runMarker>:`. A process spawned just before Vigil is SIGKILLed may miss its own
   * entry (writes are deferred to the end of the turn); the next sweep still finds it by this
   * prefix.
   */
  beginRun(runMarker: string): void {
    if (this.runList.includes(runMarker)) return;
    this.runList.push(runMarker);
    this.pending.push(JSON.stringify({ run: runMarker }));
    this.flush();
  }

  clear(): void {
    this.list = [];
    this.runList = [];
    this.pending = [];
    this.recordedBoot = readBootId();
    this.rewrite();
  }

  /** Flushes and releases the descriptor. */
  close(): void {
    this.flush();
    this.closeFd();
  }

  private append(line: string): void {
    this.pending.push(line);
    if (!this.schedule) {
      this.flush();
      return;
    }
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    this.schedule(() => {
      this.writeScheduled = false;
      this.flush();
    });
  }

  private closeFd(): void {
    if (this.fd === null) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = null;
  }

  /** Writes the whole journal (header + live entries) to a temp file and renames it in place. */
  private rewrite(): void {
    this.pending = [];
    this.closeFd();
    const header: LedgerHeader = { version: 2, bootId: this.recordedBoot };
    const lines = [
      JSON.stringify(header),
      ...this.runList.map((run) => JSON.stringify({ run })),
      ...this.list.map((e) => JSON.stringify({ add: e })),
    ];
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      fs.writeFileSync(tmp, lines.join('\n') + '\n', { mode: 0o600 });
      fs.renameSync(tmp, this.file);
      this.lines = lines.length;
    } catch (err) {
      this.lines = 0;
      this.onWarning?.(`cannot write ${this.file}: ${(err as Error).message}`);
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        // nothing more to do
      }
    }
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
    const byPid = new Map<number, LedgerEntry>();
    let bad = 0;
    let header = false;
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let data: unknown;
      try {
        data = JSON.parse(line);
      } catch {
        bad += 1;
        return;
      }
      const rec = (typeof data === 'object' && data !== null ? data : {}) as Record<
        string,
        unknown
      >;
      if (i === 0 && rec.version === 2) {
        header = true;
        this.recordedBoot = typeof rec.bootId === 'string' ? rec.bootId : null;
      } else if (isEntry(rec.add)) {
        const e = rec.add;
        byPid.set(e.pid, { ...e, recordedAt: typeof e.recordedAt === 'number' ? e.recordedAt : 0 });
      } else if (typeof rec.forget === 'number') {
        byPid.delete(rec.forget);
      } else if (typeof rec.run === 'string' && rec.run !== '') {
        if (!this.runList.includes(rec.run)) this.runList.push(rec.run);
      } else {
        bad += 1;
      }
    });
    if (!header) this.recordedBoot = null;
    if (bad > 0) {
      this.onWarning?.(
        `${this.file}: ${bad} unreadable line${bad === 1 ? '' : 's'} skipped; the processes they recorded cannot be checked`,
      );
    }
    this.list = [...byPid.values()];
    // Appending after a torn line would glue onto it: the first write rewrites the journal.
    this.lines = bad > 0 || !text.endsWith('\n') ? 0 : lines.length - 1;
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
  const signalAll = async (signal: NodeJS.Signals): Promise<void> => {
    // Re-check identity before every signal: the leader may have exited and its pid been reused.
    const leaderIsOurs = readStat(entry.pid)?.startTime === entry.startTime;
    const marked = new Set(await findMarkedShared(entry.marker));
    const groupIsOurs = leaderIsOurs || groupMembers(entry.pid).some((pid) => marked.has(pid));
    const targets = [
      ...(groupIsOurs ? [-entry.pid] : []),
      ...(leaderIsOurs ? [entry.pid] : []),
      ...marked,
    ];
    for (const target of targets) {
      try {
        process.kill(target, signal);
      } catch {
        // gone
      }
    }
  };
  await signalAll('SIGTERM');
  const deadline = performance.now() + graceMs;
  // Scans of /proc are shared with the other orphans being ended (one scan per poll, not one each).
  const gone = async (): Promise<boolean> =>
    !(readStat(entry.pid)?.startTime === entry.startTime && isAlive(entry.pid)) &&
    groupMembers(entry.pid).length === 0 &&
    (await findMarkedShared(entry.marker)).length === 0;
  while (!(await gone()) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  if (!(await gone())) await signalAll('SIGKILL');
}

/**
 * Ends the process groups a previous Vigil left behind, then clears the ledger. A group is only
 * signalled when its leader's pid, start time and command line (or marker) match; processes that
 * carry a recorded marker are ended in any case (the marker is unique to that run).
 */
export async function sweepOrphans(
  ledger: ProcessLedger,
  opts: { graceMs?: number } = {},
): Promise<{
  killed: LedgerEntry[];
  skipped: { entry: LedgerEntry; why: string }[];
  /** Processes of a recorded run that had no entry of their own (spawned just before a kill). */
  strays: number[];
}> {
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
      const escaped = sameBoot ? (await killMarkedShared(entry.marker, 'SIGKILL')).length : 0;
      if (escaped > 0) killed.push(entry);
      else skipped.push({ entry, why: verdict.why });
    }),
  );
  // Whatever still carries a recorded run's marker is that run's: its marker is random and
  // unique to it, so no other program can carry it.
  const runs = sameBoot ? ledger.runs().map((run) => `${run}:`) : [];
  const strays =
    runs.length === 0
      ? []
      : await killMarkedShared((m) => runs.some((prefix) => m.startsWith(prefix)), 'SIGKILL');
  ledger.clear();
  return { killed, skipped, strays };
}
