/**
 * Which events deserve a desktop notification: a service quarantined, and the system turning
 * critical. Pure, so that the rules are tested without Electron.
 */
import type { VigilEvent } from '../../shared/events.js';
import type { SystemState } from '../../shared/model.js';

export interface DesktopNotice {
  readonly title: string;
  readonly body: string;
  readonly urgency: 'normal' | 'critical';
}

export function noticeFor(
  ev: VigilEvent,
  previousSystem: SystemState | null,
  stackName: string,
): DesktopNotice | null {
  if (ev.type === 'healing_event' && ev.action === 'quarantine') {
    return {
      title: `${ev.service} quarantined`,
      body: `${ev.reason.message}. Vigil stopped restarting it; release it from its panel.`,
      urgency: 'normal',
    };
  }
  if (ev.type === 'status_update' && ev.system === 'critical' && previousSystem !== 'critical') {
    const failing = ev.failing && ev.failing.length > 0 ? ` (${ev.failing.join(', ')})` : '';
    return {
      title: `${stackName} is critical`,
      body: `${ev.message}${failing}`,
      urgency: 'critical',
    };
  }
  return null;
}

/** The tray's one-line summary. */
export function traySummary(
  stackName: string,
  system: SystemState | null,
  running: number,
  total: number,
): string {
  return `${stackName}: ${system ?? 'starting'} · ${running}/${total} up`;
}
