/**
 * The panel's part for a replicated service: how many instances run and the control that scales
 * them, a rolling restart's progress, the balancer and how it split the traffic, failover, and
 * one row per instance with its own restart and logs.
 */
import { useEffect, useState } from 'react';
import type { ReplicasView, ServiceView } from '../../../shared/views.js';
import { useDeps, useVigil } from '../../app/context.js';
import { formatMs, formatStamp } from '../../app/format.js';
import { useNow } from '../../app/hooks.js';
import { statusLabel, statusTone } from '../graph/colors.js';
import {
  STRATEGY_LABEL,
  failoverButtons,
  formatShare,
  poolState,
  scaleBounds,
  scaleSteps,
  scaleTo,
  shareOf,
  type ReplicaAction,
} from './replicas.js';

function ScaleControl(props: { name: string; r: ReplicasView; busy: boolean }) {
  const { controller } = useDeps();
  const { r, busy } = props;
  const steps = scaleSteps(r);
  const bounds = scaleBounds(r);
  const [draft, setDraft] = useState(String(r.desired));
  useEffect(() => setDraft(String(r.desired)), [r.desired]);
  const run = (a: ReplicaAction | null) => {
    if (a) void controller.runReplicaAction(props.name, a);
  };
  const apply = () => {
    const a = scaleTo(r, draft);
    if (a) run(a);
    else setDraft(String(r.desired));
  };
  return (
    <div className="vg-scale" role="group" aria-label="Scale">
      <button
        type="button"
        className="vg-btn vg-scale-btn"
        aria-label={steps.down ? `Scale down to ${r.desired - 1}` : 'Scale down'}
        title={steps.down ? `Scale down to ${r.desired - 1}` : `at the minimum (${bounds.min})`}
        disabled={busy || !steps.down}
        onClick={() => run(steps.down)}
        data-testid="scale-down"
      >
        −
      </button>
      <input
        className="vg-input vg-scale-input"
        inputMode="numeric"
        aria-label="Instances wanted"
        title={`Instances wanted (${bounds.min}–${bounds.max}); Enter to apply`}
        value={draft}
        disabled={busy}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') apply();
          if (e.key === 'Escape') setDraft(String(r.desired));
        }}
        onBlur={() => setDraft(String(r.desired))}
        data-testid="scale-input"
      />
      <button
        type="button"
        className="vg-btn vg-scale-btn"
        aria-label={steps.up ? `Scale up to ${r.desired + 1}` : 'Scale up'}
        title={steps.up ? `Scale up to ${r.desired + 1}` : `at the maximum (${bounds.max})`}
        disabled={busy || !steps.up}
        onClick={() => run(steps.up)}
        data-testid="scale-up"
      >
        +
      </button>
    </div>
  );
}

function ScaleNote(props: { r: ReplicasView }) {
  const now = useNow(5_000);
  const sc = props.r.scale;
  const d = sc.last_decision;
  const how =
    sc.metric === null
      ? 'by hand (a fixed count)'
      : `automatic on ${sc.metric === 'latency_p95' ? 'p95 latency' : sc.metric}` +
        `${sc.target !== null ? `, target ${sc.target}${sc.metric === 'cpu' ? ' %' : sc.metric === 'latency_p95' ? ' ms' : ''}` : ''}` +
        `, ${sc.min}–${sc.max}` +
        `${sc.cooldown_ms !== null ? `, cooldown ${formatMs(sc.cooldown_ms)}` : ''}`;
  return (
    <p className="vg-replicas-line" data-testid="scale-note">
      <span className="vg-replicas-label">Scaling</span>
      {how}
      {d ? (
        <>
          {' '}
          · last {d.from} → {d.to} {formatStamp(Date.parse(d.at), now)}: {d.reason}
        </>
      ) : null}
    </p>
  );
}

function Rollout(props: { r: ReplicasView }) {
  const ro = props.r.rollout;
  if (!ro) return null;
  const what =
    ro.kind === 'restart' ? 'Rolling restart' : ro.kind === 'update' ? 'Rolling update' : 'Scaling';
  const pct = ro.total > 0 ? Math.min(100, (ro.done / ro.total) * 100) : 0;
  return (
    <div className="vg-rollout" role="status" data-testid="rollout">
      <span>
        {what}: {ro.done} of {ro.total}
      </span>
      <span className="vg-progress" aria-hidden="true">
        <span className="vg-progress-bar" style={{ width: `${pct}%` }} />
      </span>
    </div>
  );
}

/** What fits in a segment of the split bar: "#1 · 42 %", "#1", or nothing. */
function splitLabel(id: string, pool: 'primary' | 'backup', share: number): string {
  const short = pool === 'backup' ? id : id.slice(id.lastIndexOf('#'));
  if (share >= 0.2) return `${short} · ${formatShare(share)}`;
  return share >= 0.06 ? short : '';
}

function Balancer(props: { r: ReplicasView }) {
  const b = props.r.balancer;
  if (!b) {
    return (
      <p className="vg-note vg-replicas-note" data-testid="balancer-line">
        No balancer: the service has no <code>port</code>, its instances are reached directly.
      </p>
    );
  }
  const total = b.split.reduce((a, x) => a + x.requests, 0);
  return (
    <div className="vg-balancer">
      <p className="vg-replicas-line" data-testid="balancer-line">
        <span className="vg-replicas-label">Balancer</span>
        {b.mode} · {STRATEGY_LABEL[b.strategy]}
        {b.weights && b.weights.length > 0 ? ` · weights ${b.weights.join(':')}` : ''} ·{' '}
        {b.listening && b.port !== null ? (
          <code>
            {b.host}:{b.port}
          </code>
        ) : (
          <span className="vg-warn-text">not listening</span>
        )}
      </p>
      {b.error ? (
        <p className="vg-alert vg-replicas-alert" role="status">
          {b.error}
        </p>
      ) : null}
      {total > 0 ? (
        <div
          className="vg-split"
          role="img"
          aria-label={`Traffic split: ${b.split.map((x) => `${x.id} ${formatShare(x.share)}`).join(', ')}`}
          data-testid="traffic-split"
        >
          {b.split
            .filter((x) => x.share > 0)
            .map((x) => (
              <span
                key={x.id}
                className={`vg-split-seg${x.pool === 'backup' ? ' is-backup' : ''}`}
                style={{ flexGrow: x.share }}
                title={`${x.id}${x.pool === 'backup' ? ' (backup)' : ''}: ${x.requests} requests, ${formatShare(x.share)}`}
                data-share={x.share.toFixed(3)}
              >
                {splitLabel(x.id, x.pool, x.share)}
              </span>
            ))}
        </div>
      ) : (
        <p className="vg-note vg-replicas-note">No traffic through the balancer yet.</p>
      )}
    </div>
  );
}

function Failover(props: { name: string; r: ReplicasView; busy: boolean }) {
  const { controller } = useDeps();
  const f = props.r.failover;
  if (!f) return null;
  const can = failoverButtons(props.r);
  const onBackup = f.route === 'backup';
  return (
    <div className="vg-replicas-line vg-failover" data-testid="failover">
      <span className="vg-replicas-label">Failover</span>
      <span
        className={`vg-failover-route${onBackup ? ' is-backup' : ''}`}
        data-testid="failover-route"
      >
        {onBackup ? (
          <>
            on backup <strong>{f.backup}</strong>
            {f.pinned ? ' · held by hand' : ` · back after ${formatMs(f.failback_after_ms)} ready`}
          </>
        ) : (
          <>
            own instances · backup <strong>{f.backup}</strong>
          </>
        )}
      </span>
      <span className="vg-failover-actions">
        <button
          type="button"
          className="vg-btn vg-btn-small"
          disabled={props.busy || !can.failover}
          title={
            can.failover
              ? `Send the traffic to ${f.backup} and hold it there`
              : 'already held on the backup'
          }
          onClick={() => void controller.runReplicaAction(props.name, { kind: 'failover' })}
          data-testid="failover-btn"
        >
          Fail over
        </button>
        <button
          type="button"
          className="vg-btn vg-btn-small"
          disabled={props.busy || !can.failback}
          title={
            can.failback
              ? `Send the traffic back to ${props.name}'s instances`
              : 'the traffic is on its own instances'
          }
          onClick={() => void controller.runReplicaAction(props.name, { kind: 'failback' })}
          data-testid="failback-btn"
        >
          Fail back
        </button>
      </span>
    </div>
  );
}

function InstanceTable(props: { name: string; r: ReplicasView; busy: boolean }) {
  const { controller, store } = useDeps();
  const { r, busy } = props;
  return (
    <div className="vg-instances-scroll">
      <table className="vg-instances" data-testid="instances">
        <thead>
          <tr>
            <th>Instance</th>
            <th>Status</th>
            <th className="is-num">PID</th>
            <th className="is-num">Port</th>
            <th
              className="is-num"
              title="requests (http) or connections (tcp) through the balancer"
            >
              Req
            </th>
            <th className="is-num" title="failed requests">
              Err
            </th>
            <th className="is-num" title="95th percentile latency through the balancer">
              p95
            </th>
            <th className="is-num" title="restarts">
              ↻
            </th>
            <th>Pool</th>
            <th>
              <span className="vg-sr">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {r.instances.map((i) => {
            const tone = statusTone(i.status);
            const pool = poolState(i);
            const share = shareOf(r, i.id);
            return (
              <tr key={i.id} data-instance={i.id} data-status={i.status}>
                <td className="vg-instance-id" title={i.id}>
                  {i.id}
                </td>
                <td title={i.last_error ?? undefined}>
                  <span className={`vg-instance-status tone-${tone}`}>
                    <span className="vg-dot" aria-hidden="true" />
                    {statusLabel(i.status, i.lifecycle)}
                  </span>
                </td>
                <td className="is-num">{i.pid ?? '—'}</td>
                <td className="is-num">{i.port ?? '—'}</td>
                <td
                  className="is-num"
                  title={`${i.requests} done, ${i.active} in flight${share !== null ? `, ${formatShare(share)} of the traffic` : ''}`}
                >
                  {i.requests}
                </td>
                <td className={`is-num${i.errors > 0 ? ' vg-bad-text' : ''}`}>{i.errors}</td>
                <td className="is-num">
                  {i.latency_p95_ms === null ? '—' : formatMs(i.latency_p95_ms)}
                </td>
                <td className="is-num">{i.restart_count}</td>
                <td>
                  <span className={`vg-pool is-${pool.replace(' ', '-')}`}>{pool}</span>
                </td>
                <td className="vg-instance-actions">
                  <button
                    type="button"
                    className="vg-btn vg-btn-small"
                    disabled={busy}
                    title={`Restart ${i.id} alone`}
                    aria-label={`Restart ${i.id}`}
                    onClick={() =>
                      void controller.runReplicaAction(props.name, {
                        kind: 'restart_instance',
                        index: i.index,
                      })
                    }
                    data-testid={`restart-${i.id}`}
                  >
                    Restart
                  </button>
                  <button
                    type="button"
                    className="vg-btn vg-btn-small"
                    title={`Logs of ${i.id} alone`}
                    aria-label={`Logs of ${i.id}`}
                    onClick={() => store.getState().showInstanceLogs(i.id)}
                    data-testid={`logs-${i.id}`}
                  >
                    Logs
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function ReplicasSection(props: { s: ServiceView }) {
  const busy = useVigil((st) => st.busy === props.s.name);
  const r = props.s.replicas;
  if (!r) return null;
  const name = props.s.name;
  return (
    <section className="vg-section vg-replicas" aria-label="Instances" data-testid="replicas">
      <div className="vg-section-head">
        <h3>
          Instances{' '}
          <span className="vg-muted vg-replicas-count" data-testid="replicas-count">
            {r.ready} of {r.desired} ready
            {r.min_ready > 1 ? ` · healthy from ${r.min_ready}` : ''}
          </span>
        </h3>
        <ScaleControl name={name} r={r} busy={busy} />
      </div>
      <ScaleNote r={r} />
      <Rollout r={r} />
      <Balancer r={r} />
      <Failover name={name} r={r} busy={busy} />
      <InstanceTable name={name} r={r} busy={busy} />
    </section>
  );
}
