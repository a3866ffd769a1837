/** How reports write times, durations and percentages, and how they read time bounds. Pure. */
import { parseDuration } from '../../shared/duration.js';
import { VigilError } from '../../shared/errors.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** `850 ms`, `1.2 s`, `42 s`, `3 min 5 s`, `2 h 5 min`, `3 d 4 h`. */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'n/a';
  if (ms < SECOND) return `${Math.round(ms)} ms`;
  if (ms < 10 * SECOND) {
    const tenths = Math.round(ms / 100) / 10;
    if (tenths < 10) return `${tenths} s`;
  }
  const totalS = Math.round(ms / SECOND);
  if (totalS < 60) return `${totalS} s`;
  const totalMin = Math.floor(totalS / 60);
  if (totalMin < 60) {
    const s = totalS % 60;
    return s > 0 ? `${totalMin} min ${s} s` : `${totalMin} min`;
  }
  const totalM = Math.round(ms / MINUTE);
  const totalH = Math.floor(totalM / 60);
  if (totalH < 24) {
    const m = totalM % 60;
    return m > 0 ? `${totalH} h ${m} min` : `${totalH} h`;
  }
  const totalHours = Math.round(ms / HOUR);
  const d = Math.floor(totalHours / 24);
  const h = totalHours % 24;
  return h > 0 ? `${d} d ${h} h` : `${d} d`;
}

/** `100 %`, `99.95 %`, `87.5 %`, `n/a`; never rounds up to 100 when it is not 100. */
export function formatPercent(pct: number | null): string {
  if (pct === null || !Number.isFinite(pct)) return 'n/a';
  if (pct >= 100) return '100 %';
  if (pct <= 0) return '0 %';
  if (pct >= 99) return `${Math.min(99.99, Math.floor(pct * 100) / 100)} %`;
  return `${Math.round(pct * 10) / 10} %`;
}

/** The machine's time zone. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

interface Parts {
  readonly date: string;
  readonly time: string;
}

/** Writes times in one time zone: `2026-01-01` and `10:02:03`. */
export class TimeFormatter {
  readonly timeZone: string;
  private readonly fmt: Intl.DateTimeFormat;

  constructor(timeZone: string) {
    try {
      this.fmt = new Intl.DateTimeFormat('en-US', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
      });
    } catch {
      throw new VigilError('BAD_REQUEST', `unknown time zone "${timeZone}"`, {
        field: 'timeZone',
        hint: 'use an IANA name such as UTC or Europe/Paris',
      });
    }
    this.timeZone = this.fmt.resolvedOptions().timeZone;
  }

  private parts(ts: number): Parts {
    const p: Record<string, string> = {};
    for (const part of this.fmt.formatToParts(new Date(ts))) p[part.type] = part.value;
    const hour = p['hour'] === '24' ? '00' : (p['hour'] ?? '00');
    return {
      date: `${p['year']}-${p['month']}-${p['day']}`,
      time: `${hour}:${p['minute']}:${p['second']}`,
    };
  }

  /** `2026-01-01` */
  date(ts: number): string {
    return this.parts(ts).date;
  }

  /** `10:02:03` */
  time(ts: number): string {
    return this.parts(ts).time;
  }

  /** `2026-01-01 10:02:03` */
  dateTime(ts: number): string {
    const p = this.parts(ts);
    return `${p.date} ${p.time}`;
  }

  /** `20260101-1002`, for file names. */
  stamp(ts: number): string {
    const p = this.parts(ts);
    return `${p.date.replaceAll('-', '')}-${p.time.slice(0, 5).replace(':', '')}`;
  }
}

/**
 * Times in sentences: the time of day, with the date when the report spans days or the time lies
 * on another date than the report.
 */
export function momentWriter(
  fmt: TimeFormatter,
  since: number,
  until: number,
): (ts: number) => string {
  const first = fmt.date(since);
  const spans = first !== fmt.date(until);
  return (ts) => (spans || fmt.date(ts) !== first ? fmt.dateTime(ts) : fmt.time(ts));
}

const ISO_RE =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * A report bound: epoch milliseconds (a number or a string of digits), `now`, an ISO date
 * (`2026-01-01`, `2026-01-01T10:00:00Z`; without a zone, local time), or a duration back from now
 * (`90s`, `30m`, `1h`, `7d`). `undefined` or an empty string gives the fallback.
 */
export function parseTimeBound(
  v: string | number | undefined,
  now: number,
  fallback: number,
  field = 'since',
): number {
  const bad = (): VigilError =>
    new VigilError(
      'BAD_REQUEST',
      `${field}: ${JSON.stringify(v)} is not a time: give epoch milliseconds, an ISO date ` +
        `(2026-01-01T10:00:00Z) or a duration back from now (90s, 30m, 1h, 7d)`,
      { field },
    );
  if (v === undefined) return fallback;
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw bad();
    return Math.round(v);
  }
  const s = v.trim();
  if (s === '') return fallback;
  if (s.toLowerCase() === 'now') return now;
  if (/^\d{1,16}$/.test(s)) return Number(s);
  const back = parseDuration(s.startsWith('-') ? s.slice(1) : s);
  if (back !== null) return now - back;
  if (ISO_RE.test(s)) {
    // A bare date means local midnight, like a date-time without a zone.
    const t = Date.parse(s.length === 10 ? `${s}T00:00` : s.replace(' ', 'T'));
    if (Number.isFinite(t)) return t;
  }
  throw bad();
}
