/** How each status looks: one tone per display status, used by nodes, badges, the minimap and charts. */
import type { DisplayStatus, Health, Lifecycle } from '../../../shared/model.js';

export type Tone = 'ok' | 'warn' | 'bad' | 'quarantine' | 'off';

export const STATUS_TONE: Readonly<Record<DisplayStatus, Tone>> = {
  healthy: 'ok',
  degraded: 'warn',
  unhealthy: 'bad',
  timeout: 'bad',
  quarantined: 'quarantine',
  stopped: 'off',
};

/** Solid colours that read on both light and dark backgrounds. */
export const TONE_COLOR: Readonly<Record<Tone, string>> = {
  ok: '#16a34a',
  warn: '#d97706',
  bad: '#dc2626',
  quarantine: '#7c3aed',
  off: '#6b7280',
};

export function statusTone(status: DisplayStatus): Tone {
  return STATUS_TONE[status];
}

export function statusColor(status: DisplayStatus): string {
  return TONE_COLOR[STATUS_TONE[status]];
}

/** What a person reads on a node: "starting" says more than "degraded" while a service boots. */
export function statusLabel(status: DisplayStatus, lifecycle: Lifecycle): string {
  switch (lifecycle) {
    case 'pending':
    case 'waiting':
    case 'starting':
    case 'backoff':
    case 'stopping':
    case 'completed':
    case 'failed':
      return lifecycle;
    default:
      return status;
  }
}

export function healthTone(health: Health): Tone {
  switch (health) {
    case 'healthy':
      return 'ok';
    case 'degraded':
      return 'warn';
    case 'unhealthy':
    case 'timeout':
      return 'bad';
    case 'unknown':
      return 'off';
  }
}
