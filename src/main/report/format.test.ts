import { describe, expect, it } from 'vitest';
import { VigilError } from '../../shared/errors.js';
import {
  formatPercent,
  humanDuration,
  momentWriter,
  parseTimeBound,
  TimeFormatter,
} from './format.js';

describe('humanDuration', () => {
  it.each([
    [0, '0 ms'],
    [850, '850 ms'],
    [1_000, '1 s'],
    [1_200, '1.2 s'],
    [9_960, '10 s'],
    [42_400, '42 s'],
    [59_600, '1 min'],
    [185_000, '3 min 5 s'],
    [3_580_000, '59 min 40 s'],
    [3_600_000, '1 h'],
    [7_500_000, '2 h 5 min'],
    [86_390_000, '1 d'],
    [3 * 86_400_000 + 4 * 3_600_000, '3 d 4 h'],
  ])('%d ms is "%s"', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });

  it('says n/a for nonsense', () => {
    expect(humanDuration(-1)).toBe('n/a');
    expect(humanDuration(Number.NaN)).toBe('n/a');
  });
});

describe('formatPercent', () => {
  it('never shows 100 for less than 100', () => {
    expect(formatPercent(100)).toBe('100 %');
    expect(formatPercent(99.9999)).toBe('99.99 %');
    expect(formatPercent(99.967)).toBe('99.96 %');
    expect(formatPercent(87.46)).toBe('87.5 %');
    expect(formatPercent(0)).toBe('0 %');
    expect(formatPercent(null)).toBe('n/a');
  });
});

describe('TimeFormatter', () => {
  const ts = Date.UTC(2026, 0, 1, 23, 30, 5);

  it('writes dates and times in the given zone', () => {
    const utc = new TimeFormatter('UTC');
    expect(utc.dateTime(ts)).toBe('2026-01-01 23:30:05');
    expect(utc.stamp(ts)).toBe('20260101-2330');
    const tokyo = new TimeFormatter('Asia/Tokyo');
    expect(tokyo.dateTime(ts)).toBe('2026-01-02 08:30:05');
    expect(tokyo.time(Date.UTC(2026, 0, 1, 15, 0, 0))).toBe('00:00:00');
  });

  it('rejects an unknown zone as a bad request', () => {
    expect(() => new TimeFormatter('Mars/Olympus')).toThrow(VigilError);
    try {
      new TimeFormatter('Mars/Olympus');
    } catch (e) {
      expect((e as VigilError).code).toBe('BAD_REQUEST');
    }
  });

  it('adds the date to times when the range spans days or the time is on another day', () => {
    const fmt = new TimeFormatter('UTC');
    const oneDay = momentWriter(fmt, Date.UTC(2026, 0, 1, 10), Date.UTC(2026, 0, 1, 11));
    expect(oneDay(Date.UTC(2026, 0, 1, 10, 2, 3))).toBe('10:02:03');
    expect(oneDay(Date.UTC(2026, 0, 2, 0, 0, 27))).toBe('2026-01-02 00:00:27');
    const twoDays = momentWriter(fmt, Date.UTC(2026, 0, 1, 10), Date.UTC(2026, 0, 2, 11));
    expect(twoDays(Date.UTC(2026, 0, 1, 10, 2, 3))).toBe('2026-01-01 10:02:03');
  });
});

describe('parseTimeBound', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);

  it('takes epoch milliseconds as a number or digits', () => {
    expect(parseTimeBound(1_767_260_000_000, now, 0)).toBe(1_767_260_000_000);
    expect(parseTimeBound('1767260000000', now, 0)).toBe(1_767_260_000_000);
  });

  it('takes a duration back from now', () => {
    expect(parseTimeBound('1h', now, 0)).toBe(now - 3_600_000);
    expect(parseTimeBound('30m', now, 0)).toBe(now - 1_800_000);
    expect(parseTimeBound('90s', now, 0)).toBe(now - 90_000);
    expect(parseTimeBound('7d', now, 0)).toBe(now - 7 * 86_400_000);
    expect(parseTimeBound('-2h', now, 0)).toBe(now - 7_200_000);
    expect(parseTimeBound('now', now, 0)).toBe(now);
  });

  it('takes ISO dates', () => {
    expect(parseTimeBound('2026-01-01T10:00:00Z', now, 0)).toBe(Date.UTC(2026, 0, 1, 10));
    expect(parseTimeBound('2026-01-01T11:00:00+01:00', now, 0)).toBe(Date.UTC(2026, 0, 1, 10));
    expect(parseTimeBound('2026-01-01', now, 0)).toBe(new Date(2026, 0, 1).getTime());
  });

  it('falls back when the bound is missing', () => {
    expect(parseTimeBound(undefined, now, 42)).toBe(42);
    expect(parseTimeBound('  ', now, 42)).toBe(42);
  });

  it.each(['yesterday', '1 hour', '2026-13-45', '12:00', 'h1', '1w'])(
    'rejects %j with BAD_REQUEST naming the field',
    (v) => {
      let err: unknown;
      try {
        parseTimeBound(v, now, 0, 'until');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VigilError);
      expect((err as VigilError).code).toBe('BAD_REQUEST');
      expect((err as VigilError).field).toBe('until');
      expect((err as VigilError).message).toContain('duration back from now');
    },
  );

  it('rejects negative and non-finite numbers', () => {
    expect(() => parseTimeBound(-5, now, 0)).toThrow(VigilError);
    expect(() => parseTimeBound(Number.POSITIVE_INFINITY, now, 0)).toThrow(VigilError);
  });
});
