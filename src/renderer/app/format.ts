/** Small text formatters shared by the views. */
import type { Reason } from '../../shared/model.js';
import type { UptimeWindows } from '../../shared/views.js';

/** "45s", "3m 12s", "2h 03m", "4d 06h". */
export function formatUptime(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  const d = Math.floor(h / 24);
  return `${d}d ${String(h % 24).padStart(2, '0')}h`;
}

/** "250 ms", "1.5 s", "2 min". */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  return formatUptime(ms);
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(v >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}

/** "3 s ago", "in 12 s", relative to `now`. */
export function formatRelative(ts: number | string | null | undefined, now: number): string {
  if (ts === null || ts === undefined) return '—';
  const t = typeof ts === 'string' ? Date.parse(ts) : ts;
  if (!Number.isFinite(t)) return '—';
  const d = t - now;
  const text = formatUptime(Math.abs(d));
  return d > 500 ? `in ${text}` : `${text} ago`;
}

/** Wall-clock time of day, "14:02:05". */
export function formatClock(ts: number | string): string {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return '—';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** "Nov 22 14:02:05" when not today, else the time alone. */
export function formatStamp(ts: number, now: number): string {
  const d = new Date(ts);
  const today = new Date(now);
  if (d.toDateString() === today.toDateString()) return formatClock(ts);
  const month = d.toLocaleString('en', { month: 'short' });
  return `${month} ${d.getDate()} ${formatClock(ts)}`;
}

/** A reason as one line: its message, and who asked for it when manual. */
export function formatReason(r: Reason | null | undefined): string {
  if (!r) return '—';
  return r.message || r.kind;
}

/** "99.95 %", "100 %", "—"; never rounds up to 100 % what is less. */
export function formatPercent(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const c = Math.min(100, Math.max(0, v));
  if (c === 100 || c === 0) return `${c} %`;
  const digits = c >= 99 ? 2 : 1;
  const f = 10 ** digits;
  return `${(Math.floor(c * f) / f).toFixed(digits)} %`;
}

/** Uptime over the three windows of the stats: "1h 99.50 % · 24h 100 % · 7d —". */
export function formatUptimeWindows(w: UptimeWindows | null | undefined): string {
  if (!w) return '—';
  return (['1h', '24h', '7d'] as const).map((k) => `${k} ${formatPercent(w[k])}`).join(' · ');
}
