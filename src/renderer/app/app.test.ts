import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatMs,
  formatPercent,
  formatRelative,
  formatUptime,
  formatUptimeWindows,
} from './format.js';
import { keyCommand } from './keyboard.js';
import { THEME_STORAGE_KEY, initialTheme, loadTheme, otherTheme, saveTheme } from './theme.js';

describe('keyCommand', () => {
  const k = (key: string, extra: Partial<Parameters<typeof keyCommand>[0]> = {}) =>
    keyCommand({ key, inField: false, ...extra });

  it('maps the documented shortcuts', () => {
    expect(k('ArrowRight')).toEqual({ kind: 'move', dir: 'right' });
    expect(k('ArrowUp')).toEqual({ kind: 'move', dir: 'up' });
    expect(k('Enter')).toEqual({ kind: 'open' });
    expect(k('Escape')).toEqual({ kind: 'close' });
    expect(k('r')).toEqual({ kind: 'restart' });
    expect(k('/')).toEqual({ kind: 'focus-search' });
    expect(k('t')).toEqual({ kind: 'toggle-theme' });
    expect(k('x')).toBeNull();
  });

  it('leaves typing alone: only Esc works in a field', () => {
    expect(k('r', { inField: true })).toBeNull();
    expect(k('t', { inField: true })).toBeNull();
    expect(k('ArrowDown', { inField: true })).toBeNull();
    expect(k('Escape', { inField: true })).toEqual({ kind: 'close' });
  });

  it('ignores modified keys and Enter on buttons', () => {
    expect(k('r', { ctrlKey: true })).toBeNull();
    expect(k('t', { metaKey: true })).toBeNull();
    expect(k('Enter', { onControl: true })).toBeNull();
  });
});

describe('theme', () => {
  it('starts from the remembered theme, else the system preference', () => {
    expect(initialTheme('dark', false)).toBe('dark');
    expect(initialTheme('light', true)).toBe('light');
    expect(initialTheme(null, true)).toBe('dark');
    expect(initialTheme('purple', false)).toBe('light');
    expect(otherTheme('dark')).toBe('light');
  });

  it('remembers a toggled theme and survives a storage that throws', () => {
    const map = new Map<string, string>();
    const storage = {
      getItem: (k: string) => map.get(k) ?? null,
      setItem: (k: string, v: string) => void map.set(k, v),
    };
    saveTheme(storage, 'dark');
    expect(map.get(THEME_STORAGE_KEY)).toBe('dark');
    expect(loadTheme(storage, false)).toBe('dark');
    const broken = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
    };
    expect(loadTheme(broken, true)).toBe('dark');
    expect(() => saveTheme(broken, 'light')).not.toThrow();
  });
});

describe('format', () => {
  it('formats uptimes, durations and sizes', () => {
    expect(formatUptime(45_000)).toBe('45s');
    expect(formatUptime(192_000)).toBe('3m 12s');
    expect(formatUptime(2 * 3_600_000 + 3 * 60_000)).toBe('2h 03m');
    expect(formatUptime(4 * 86_400_000 + 6 * 3_600_000)).toBe('4d 06h');
    expect(formatMs(250)).toBe('250 ms');
    expect(formatMs(1_500)).toBe('1.5 s');
    expect(formatMs(null)).toBe('—');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(50 * 1024 * 1024)).toBe('50.0 MB');
    expect(formatRelative(10_000, 13_000)).toBe('3s ago');
    expect(formatRelative(20_000, 8_000)).toBe('in 12s');
  });
});

describe('uptime figures', () => {
  it('formats percentages without rounding up to 100 %', () => {
    expect(formatPercent(100)).toBe('100 %');
    expect(formatPercent(99.999)).toBe('99.99 %');
    expect(formatPercent(99.5)).toBe('99.50 %');
    expect(formatPercent(87.26)).toBe('87.2 %');
    expect(formatPercent(0)).toBe('0 %');
    expect(formatPercent(null)).toBe('—');
    expect(formatPercent(Number.NaN)).toBe('—');
  });

  it('lists the three windows of the stats', () => {
    expect(formatUptimeWindows({ '1h': 99.5, '24h': 100, '7d': null })).toBe(
      '1h 99.50 % · 24h 100 % · 7d —',
    );
    expect(formatUptimeWindows(null)).toBe('—');
  });
});
