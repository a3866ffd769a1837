import { describe, expect, it } from 'vitest';
import type { Health, Lifecycle, ReasonKind } from '../../../shared/model.js';
import { availabilityStats, replayAvailability, type TimelineItem } from './availability.js';

const S = 1_000;

function lc(
  t: number,
  to: Lifecycle,
  reason: ReasonKind,
  generation = 1,
  exitCode?: number | null,
): TimelineItem {
  return { kind: 'lifecycle', ts: t * S, to, reason, generation, exitCode };
}
function h(t: number, to: Health, generation = 1): TimelineItem {
  return { kind: 'health', ts: t * S, to, generation };
}
const runStart = (t: number): TimelineItem => ({ kind: 'run_start', ts: t * S });
const runEnd = (t: number): TimelineItem => ({ kind: 'run_end', ts: t * S });

/**
 * Launch, healthy at 2 s; crash at 10 s (exit 1), restarted, healthy again at 14 s (outage 1:
 * 10–14, 4 s); degraded at 20 s (still up); unhealthy at 22 s, healthy at 30 s (outage 2: 22–30,
 * 8 s).
 */
const crashAndProbeFailure: TimelineItem[] = [
  runStart(0),
  lc(0, 'starting', 'launch'),
  lc(1, 'running', 'launch'),
  h(2, 'healthy'),
  lc(10, 'backoff', 'exit', 1, 1),
  lc(11, 'starting', 'exit', 2, 1),
  lc(12, 'running', 'exit', 2, 1),
  h(14, 'healthy', 2),
  h(20, 'degraded', 2),
  h(22, 'unhealthy', 2),
  h(30, 'healthy', 2),
];

describe('availabilityStats', () => {
  it('measures uptime, outages and MTTR over a whole window', () => {
    const s = availabilityStats(crashAndProbeFailure, 0, 40 * S);
    // up: 2–10 (8 s) + 14–22 (8 s) + 30–40 (10 s) = 26 s; down: 4 s + 8 s = 12 s
    expect(s.uptimePct).toBeCloseTo((26 / 38) * 100, 6);
    expect(s.outages).toBe(2);
    expect(s.mttrMs).toBe(6 * S); // (4 + 8) / 2
    expect(s.longestOutageMs).toBe(8 * S);
  });

  it('starts a window from the state replayed before it, even mid-outage', () => {
    const s = availabilityStats(crashAndProbeFailure, 12 * S, 40 * S);
    // down 12–14 (2 s) + 22–30 (8 s) = 10 s; up 14–22 (8 s) + 30–40 (10 s) = 18 s
    expect(s.uptimePct).toBeCloseTo((18 / 28) * 100, 6);
    // outage 1 was still going at 12 s: it counts, measured whole (4 s) for MTTR
    expect(s.outages).toBe(2);
    expect(s.mttrMs).toBe(6 * S);
    expect(s.longestOutageMs).toBe(8 * S);
  });

  it('counts only outages that recovered inside the window for MTTR', () => {
    // window 0–20: outage 2 has not started, outage 1 recovered at 14
    const s = availabilityStats(crashAndProbeFailure, 0, 20 * S);
    expect(s.outages).toBe(1);
    expect(s.mttrMs).toBe(4 * S);
    // up 2–10 + 14–20 = 14 s, down 4 s
    expect(s.uptimePct).toBeCloseTo((14 / 18) * 100, 6);
  });

  it('leaves a manual stop and restart out of the uptime denominator', () => {
    const timeline = [
      runStart(0),
      lc(0, 'starting', 'launch'),
      lc(1, 'running', 'launch'),
      h(2, 'healthy'),
      lc(10, 'stopping', 'manual'),
      lc(11, 'stopped', 'manual'),
      lc(20, 'starting', 'manual', 2),
      lc(21, 'running', 'manual', 2),
      h(22, 'healthy', 2),
    ];
    const s = availabilityStats(timeline, 0, 30 * S);
    // up 2–10 and 22–30 = 16 s, never down
    expect(s.uptimePct).toBe(100);
    expect(s.outages).toBe(0);
    expect(s.mttrMs).toBeNull();
    expect(s.longestOutageMs).toBe(0);
    expect(replayAvailability(timeline, 0, 30 * S).upMs).toBe(16 * S);
  });

  it('keeps an outage open through quarantine to the end of the window', () => {
    const timeline = [
      runStart(0),
      lc(0, 'starting', 'launch'),
      lc(1, 'running', 'launch'),
      h(2, 'healthy'),
      lc(10, 'backoff', 'signal'),
      lc(11, 'starting', 'signal', 2),
      lc(12, 'backoff', 'exit', 2, 1),
      lc(15, 'quarantined', 'exit', 2, 1),
    ];
    const s = availabilityStats(timeline, 0, 40 * S);
    // up 2–10 (8 s), down 10–40 (30 s)
    expect(s.uptimePct).toBeCloseTo((8 / 38) * 100, 6);
    expect(s.outages).toBe(1);
    expect(s.longestOutageMs).toBe(30 * S);
    expect(s.mttrMs).toBeNull();
  });

  it('ends every state at the end of a run: an outage cut by Vigil dying is not a recovery', () => {
    const timeline = [
      runStart(0),
      lc(0, 'starting', 'launch'),
      lc(1, 'running', 'launch'),
      h(2, 'healthy'),
      h(10, 'timeout'),
      runEnd(20),
      runStart(30),
      lc(30, 'starting', 'launch'),
      lc(31, 'running', 'launch'),
      h(32, 'healthy'),
    ];
    const s = availabilityStats(timeline, 0, 40 * S);
    // up 2–10 (8 s) + 32–40 (8 s); down 10–20 (10 s); 20–32 neither
    expect(s.uptimePct).toBeCloseTo((16 / 26) * 100, 6);
    expect(s.outages).toBe(1);
    expect(s.longestOutageMs).toBe(10 * S);
    expect(s.mttrMs).toBeNull();
  });

  it('ignores health changes of an older generation after a restart', () => {
    const timeline = [
      runStart(0),
      lc(0, 'starting', 'launch'),
      lc(1, 'running', 'launch'),
      h(2, 'healthy'),
      lc(10, 'backoff', 'exit', 1, 1),
      lc(11, 'starting', 'exit', 2, 1),
      lc(12, 'running', 'exit', 2, 1),
      h(13, 'healthy', 1), // late result of the crashed process
      h(16, 'healthy', 2),
    ];
    const s = availabilityStats(timeline, 0, 20 * S);
    expect(s.mttrMs).toBe(6 * S); // 10–16, not 10–13
  });

  it('counts a service held waiting for a fallen dependency as down', () => {
    const timeline = [
      runStart(0),
      lc(0, 'starting', 'launch'),
      lc(1, 'running', 'launch'),
      h(2, 'healthy'),
      lc(10, 'waiting', 'dependency'),
      lc(15, 'starting', 'dependency_recovery', 2),
      lc(16, 'running', 'dependency_recovery', 2),
      h(17, 'healthy', 2),
    ];
    const s = availabilityStats(timeline, 0, 20 * S);
    expect(s.outages).toBe(1);
    expect(s.mttrMs).toBe(7 * S);
    // up 2–10 + 17–20 = 11 s, down 7 s
    expect(s.uptimePct).toBeCloseTo((11 / 18) * 100, 6);
  });

  it('treats a completed oneshot as up and a clean exit to stopped as neither', () => {
    const oneshot = [
      runStart(0),
      lc(0, 'starting', 'launch'),
      lc(1, 'running', 'launch'),
      lc(5, 'completed', 'exit', 1, 0),
    ];
    expect(availabilityStats(oneshot, 0, 10 * S).uptimePct).toBe(100);
    expect(replayAvailability(oneshot, 0, 10 * S).upMs).toBe(5 * S);

    const cleanExit = [
      runStart(0),
      lc(0, 'starting', 'launch'),
      lc(1, 'running', 'launch'),
      h(2, 'healthy'),
      lc(5, 'stopped', 'exit', 1, 0),
    ];
    const s = availabilityStats(cleanExit, 0, 10 * S);
    expect(s.uptimePct).toBe(100); // 2–5 up, the rest neither
    expect(s.outages).toBe(0);
  });

  it('counts a failure before the first healthy as an outage', () => {
    const timeline = [
      runStart(0),
      lc(0, 'starting', 'launch'),
      lc(3, 'backoff', 'startup_timeout'),
      lc(4, 'starting', 'startup_timeout', 2),
      lc(5, 'running', 'startup_timeout', 2),
      h(6, 'healthy', 2),
    ];
    const s = availabilityStats(timeline, 0, 10 * S);
    // 0–3 neither (launching), down 3–6, up 6–10
    expect(s.uptimePct).toBeCloseTo((4 / 7) * 100, 6);
    expect(s.mttrMs).toBe(3 * S);
  });

  it('has no uptime figure for a service that never ran in the window', () => {
    const s = availabilityStats([], 0, 10 * S);
    expect(s).toEqual({ uptimePct: null, mttrMs: null, longestOutageMs: 0, outages: 0 });
  });
});
