/**
 * The panel of one service: its state, breaker and reasons, the actions that make sense now (with
 * the API's error when one comes back), a replicated service's instances, health and resource
 * charts, and live logs.
 */
import { useEffect, useRef, useState } from 'react';
import type { ServiceDetailView, ServiceView, StatsResponse } from '../../../shared/views.js';
import { useDeps, useVigil } from '../../app/context.js';
import {
  formatBytes,
  formatMs,
  formatReason,
  formatRelative,
  formatStamp,
  formatUptimeWindows,
} from '../../app/format.js';
import { useNow } from '../../app/hooks.js';
import { notReadyText } from '../../../shared/notes.js';
import { statusLabel, statusTone } from '../graph/colors.js';
import { HealthCharts } from '../health/charts.js';
import { LogView } from '../logs/LogView.js';
import {
  ACTION_LABEL,
  REGISTERED_NOTE,
  actionStates,
  visibleActions,
  type ServiceAction,
} from './actions.js';
import { ReplicasSection } from './ReplicasSection.js';

/** One service's figures from `getStats`. */
export type ServiceStats = StatsResponse['service_details'][string];

const DETAIL_REFRESH_MS = 5_000;

export type PanelTab = 'overview' | 'logs';

function commandText(spec: Readonly<Record<string, unknown>> | undefined): string | null {
  const c = spec?.['command'] as { kind?: string; script?: string; argv?: string[] } | undefined;
  if (!c) return null;
  if (c.kind === 'shell' && typeof c.script === 'string') return c.script;
  if (c.kind === 'argv' && Array.isArray(c.argv)) return c.argv.join(' ');
  return null;
}

function Fact(props: {
  label: string;
  children: React.ReactNode;
  wide?: boolean;
  testId?: string;
}) {
  return (
    <div className={`vg-fact${props.wide ? ' is-wide' : ''}`} data-testid={props.testId}>
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

function Facts(props: {
  s: ServiceView;
  detail: ServiceDetailView | null;
  stats: ServiceStats | null;
}) {
  const { s, detail, stats } = props;
  const now = useNow();
  const b = s.breaker;
  const command = commandText(detail?.spec);
  return (
    <dl className="vg-facts">
      <Fact label="Lifecycle">{s.lifecycle}</Fact>
      <Fact label="Health">{s.health}</Fact>
      <Fact label="Restarts" testId="fact-restarts">
        {s.restart_count}
        {s.restart_attempts > 0 ? (
          <span className="vg-muted"> · attempt {s.restart_attempts}</span>
        ) : null}
      </Fact>
      <Fact label="Breaker">
        <span className={`vg-breaker is-${b.state}`}>{b.state}</span>
        {b.state === 'open' && b.nextTrialAt !== null ? (
          <span className="vg-muted"> · trial {formatRelative(b.nextTrialAt, now)}</span>
        ) : null}
        {b.trips > 0 ? <span className="vg-muted"> · {b.trips} trips</span> : null}
      </Fact>
      <Fact label="Since">{formatRelative(s.since, now)}</Fact>
      <Fact label="Uptime" wide testId="fact-uptime">
        {stats ? formatUptimeWindows(stats.uptime_percentage) : '—'}
      </Fact>
      <Fact label="MTTR" testId="fact-mttr">
        {stats && stats.mttr_ms !== null ? formatMs(stats.mttr_ms) : '—'}
        {stats && stats.longest_outage_ms > 0 ? (
          <span className="vg-muted"> · longest outage {formatMs(stats.longest_outage_ms)}</span>
        ) : null}
      </Fact>
      <Fact label="PID / port">
        {s.pid ?? '—'} / {s.port ?? '—'}
      </Fact>
      <Fact label="Phase · priority">
        {s.phase} · {s.priority}
        {s.required ? '' : ' · optional'}
      </Fact>
      <Fact label="Last check">
        {s.last_check
          ? `${s.last_check.ok ? 'ok' : s.last_check.timedOut ? 'timed out' : 'failed'} · ${formatMs(s.last_check.latencyMs)}`
          : '—'}
      </Fact>
      {s.lifecycle === 'backoff' && s.next_attempt_at ? (
        <Fact label="Next attempt">{formatRelative(s.next_attempt_at, now)}</Fact>
      ) : null}
      <Fact label="CPU · memory">
        {s.metrics.cpu_percent === null ? '—' : `${s.metrics.cpu_percent.toFixed(1)} %`} ·{' '}
        {formatBytes(s.metrics.rss_bytes)}
      </Fact>
      <Fact label="Last restart" wide>
        {s.last_restart ? (
          <>
            {formatStamp(Date.parse(s.last_restart), now)} — {formatReason(s.last_restart_reason)}
          </>
        ) : (
          'never'
        )}
      </Fact>
      {s.blocked_by.length > 0 ? (
        <Fact label="Blocked by" wide>
          {s.blocked_by.join(', ')}
        </Fact>
      ) : null}
      {s.lifecycle === 'starting' && s.not_ready ? (
        <Fact label="Not ready" wide testId="not-ready-note">
          {notReadyText(s.not_ready, now)}
        </Fact>
      ) : null}
      {s.started_without.length > 0 ? (
        <Fact label="Started without" wide testId="started-without-note">
          {s.started_without.map((m) => `${m.service} (${m.reason})`).join(', ')}
        </Fact>
      ) : null}
      {s.quarantine_reason ? (
        <Fact label="Quarantine reason" wide testId="quarantine-reason">
          <span className="vg-quarantine">{s.quarantine_reason}</span>
        </Fact>
      ) : null}
      {b.state !== 'closed' && b.reason ? (
        <Fact label="Breaker reason" wide>
          {b.reason}
        </Fact>
      ) : null}
      {s.last_error ? (
        <Fact label="Last error" wide>
          {s.last_error}
        </Fact>
      ) : null}
      {s.last_check && !s.last_check.ok && s.last_check.detail ? (
        <Fact label="Probe said" wide>
          {s.last_check.detail}
        </Fact>
      ) : null}
      {command ? (
        <Fact label="Command" wide>
          <code>{command}</code>
        </Fact>
      ) : null}
    </dl>
  );
}

/** File watching: what is watched, what the last change did, and the on/off switch. */
function WatchSection(props: { s: ServiceView }) {
  const { controller } = useDeps();
  const busy = useVigil((st) => st.busy === props.s.name);
  const now = useNow();
  const w = props.s.watch;
  if (!w) return null;
  const label =
    w.state === 'off'
      ? 'off'
      : w.state === 'paused'
        ? 'paused (restart loop)'
        : w.state === 'running_command'
          ? `running ${w.run ?? 'the command'}`
          : w.state === 'restarting'
            ? 'restarting'
            : 'watching';
  const on = w.enabled && w.state !== 'paused';
  return (
    <section className="vg-watch" aria-label="File watch" data-testid="watch-section">
      <div className="vg-watch-head">
        <span className={`vg-watch-state is-${w.state}`} data-testid="watch-state">
          File watch: {label}
        </span>
        <button
          type="button"
          role="switch"
          aria-checked={on}
          className={`vg-switch${on ? ' is-on' : ''}`}
          disabled={busy}
          title={
            on
              ? 'Stop restarting on file changes (the stack file is not edited)'
              : w.state === 'paused'
                ? 'Resume watching (after fixing what the service writes, or ignoring it)'
                : 'Restart this service when its files change'
          }
          onClick={() => void controller.setWatch(props.s.name, !on)}
          data-testid="watch-toggle"
        >
          <span className="vg-switch-knob" aria-hidden="true" />
          <span className="vg-switch-text">
            {on ? 'On' : w.state === 'paused' ? 'Resume' : 'Off'}
          </span>
        </button>
      </div>
      <p className="vg-watch-paths">
        <code>{w.paths.join(', ')}</code>
        <span className="vg-muted">
          {' '}
          · {w.action === 'run' ? `run ${w.run ?? ''}, then restart` : 'restart'} · debounce{' '}
          {formatMs(w.debounce_ms)}
          {w.ignore.length > 0 ? ` · ignore ${w.ignore.join(', ')}` : ''}
          {w.gitignore ? ' · .gitignore' : ''}
        </span>
      </p>
      {w.last_change ? (
        <p className="vg-muted" data-testid="watch-last-change">
          Last change {formatStamp(Date.parse(w.last_change.at), now)}:{' '}
          {w.last_change.files.paths.slice(0, 3).join(', ')}
          {w.last_change.files.count > 3 ? ` and ${w.last_change.files.count - 3} more` : ''} ·{' '}
          {w.restarts} restart{w.restarts === 1 ? '' : 's'} by the watch
        </p>
      ) : null}
      {w.paused_reason || w.last_error ? (
        <p className="vg-alert" role="status" data-testid="watch-error">
          {w.paused_reason ?? w.last_error}
        </p>
      ) : null}
    </section>
  );
}

function Actions(props: { s: ServiceView }) {
  const { controller } = useDeps();
  const busy = useVigil((st) => st.busy === props.s.name);
  const states = actionStates(props.s, busy);
  const shown = visibleActions(props.s);
  const run = (a: ServiceAction) => void controller.runAction(props.s.name, a);
  /** Restart replaces a replicated service's instances one at a time. */
  const rolling = (props.s.replicas?.instances.length ?? 0) > 1;
  if (shown.length === 0) {
    return (
      <p className="vg-note vg-panel-note" data-testid="registered-note">
        {REGISTERED_NOTE}
      </p>
    );
  }
  return (
    <div className="vg-actions" role="toolbar" aria-label="Service actions">
      {shown.map((a) => (
        <button
          key={a}
          type="button"
          className={`vg-btn${a === 'restart' ? ' is-primary' : ''}${a === 'quarantine' || a === 'force_restart' ? ' is-danger' : ''}`}
          disabled={!states[a].enabled}
          title={
            !states[a].enabled
              ? states[a].why
              : a === 'restart' && rolling
                ? 'Restart: replace the instances one at a time (no request is dropped)'
                : ACTION_LABEL[a]
          }
          onClick={() => run(a)}
          data-action={a}
        >
          {ACTION_LABEL[a]}
        </button>
      ))}
      {rolling ? (
        <button
          type="button"
          className="vg-btn"
          disabled={!states.restart.enabled}
          title={
            states.restart.enabled
              ? 'Stop every instance, then start them again (not one at a time)'
              : states.restart.why
          }
          onClick={() =>
            void controller.runReplicaAction(props.s.name, { kind: 'restart_all_at_once' })
          }
          data-action="restart_all_at_once"
        >
          Restart all at once
        </button>
      ) : null}
    </div>
  );
}

export function ServicePanel(props: { searchRef: React.RefObject<HTMLInputElement | null> }) {
  const { store, controller } = useDeps();
  const name = useVigil((s) => s.selected);
  const s = useVigil((st) => (st.selected !== null ? st.services[st.selected] : undefined));
  const actionError = useVigil((st) => st.actionError);
  const tab = useVigil((st) => st.panelTab);
  const [detail, setDetail] = useState<ServiceDetailView | null>(null);
  const [stats, setStats] = useState<ServiceStats | null>(null);
  const closeRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (name === null) return;
    let alive = true;
    setDetail(null);
    setStats(null);
    const load = async () => {
      try {
        const d = await controller.client.getService({ name });
        if (!alive) return;
        setDetail(d);
        store.getState().mergeDetail(d);
      } catch {
        // shown from the store's view; the next refresh tries again
      }
      try {
        const st = await controller.client.getStats({});
        if (alive) setStats(st.service_details[name] ?? null);
      } catch {
        // uptime and MTTR stay as they were; the next refresh tries again
      }
    };
    void load();
    const t = setInterval(() => void load(), DETAIL_REFRESH_MS);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, [name, controller, store]);

  if (name === null || !s) return null;
  const tone = statusTone(s.status);
  return (
    <aside
      className={`vg-panel${s.replicas ? ' is-wide' : ''}`}
      aria-label={`Service ${name}`}
      data-testid="service-panel"
    >
      <header className="vg-panel-head">
        <div className="vg-panel-title">
          <span className={`vg-dot tone-${tone}`} aria-hidden="true" />
          <h2>{name}</h2>
          <span className={`vg-badge tone-${tone}`}>{statusLabel(s.status, s.lifecycle)}</span>
          {s.registered ? (
            <span
              className="vg-badge vg-badge-registered"
              title="registered itself over the API"
              data-testid="registered-badge"
            >
              registered
            </span>
          ) : null}
        </div>
        <button
          ref={closeRef}
          type="button"
          className="vg-icon-btn"
          aria-label="Close panel"
          title="Close (Esc)"
          onClick={() => store.getState().closePanel()}
        >
          ×
        </button>
      </header>
      <Actions s={s} />
      <WatchSection s={s} />
      {actionError && actionError.service === name ? (
        <p className="vg-alert" role="alert">
          {actionError.message}
        </p>
      ) : null}
      <div className="vg-tabs" role="tablist">
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'overview'}
          className={tab === 'overview' ? 'is-active' : ''}
          onClick={() => store.getState().setPanelTab('overview')}
        >
          Overview
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'logs'}
          className={tab === 'logs' ? 'is-active' : ''}
          onClick={() => store.getState().setPanelTab('logs')}
        >
          Logs
        </button>
      </div>
      {tab === 'overview' ? (
        <div className="vg-panel-body">
          <ReplicasSection s={s} />
          <Facts s={s} detail={detail} stats={stats} />
          <HealthCharts name={name} />
        </div>
      ) : (
        <LogView key={name} name={name} searchRef={props.searchRef} />
      )}
    </aside>
  );
}
