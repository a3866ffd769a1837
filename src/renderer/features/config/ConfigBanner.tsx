/**
 * The banner shown while a change to the stack file is rejected (what is wrong and where, that the
 * last good configuration still runs) or was rolled back after its services failed (what failed,
 * and that the running configuration differs from the file), with a way to retry and a way to
 * dismiss it. Text only.
 */
import { useDeps, useVigil } from '../../app/context.js';
import { baseName } from './notice.js';

export function ConfigBanner() {
  const { store, controller } = useDeps();
  const rejected = useVigil((s) => s.notices.rejected);
  const file = useVigil((s) => baseName(s.system?.stack_file ?? 'vigil.yaml'));
  const reloading = useVigil((s) => s.reloading);
  const rolledBack = useVigil((s) => s.notices.rolledBack);
  const actions = (
    <div className="vg-config-banner-actions">
      <button
        type="button"
        className="vg-btn"
        disabled={reloading}
        onClick={() => void controller.reloadStack()}
      >
        Reload stack
      </button>
      <button
        type="button"
        className="vg-icon-btn"
        aria-label="Dismiss"
        title="Dismiss"
        onClick={() => store.getState().dismissConfigBanner()}
      >
        ×
      </button>
    </div>
  );
  if (!rejected && rolledBack) {
    return (
      <section className="vg-config-banner" role="alert" data-testid="config-banner">
        <div className="vg-config-banner-body">
          <strong className="vg-config-banner-title" data-testid="config-rolled-back">
            A change to {file} was rolled back
          </strong>
          <ul className="vg-config-problems">
            <li data-testid="config-problem">
              <span className="vg-config-message">{rolledBack.cause}</span>
            </li>
          </ul>
          <p className="vg-config-banner-note">
            The running configuration differs from the file: Vigil went back to the last good
            definition of the services the change broke. Fix the file and save it: the next change
            is applied on its own.
          </p>
        </div>
        {actions}
      </section>
    );
  }
  if (!rejected) return null;
  const n = rejected.problems.length;
  return (
    <section className="vg-config-banner" role="alert" data-testid="config-banner">
      <div className="vg-config-banner-body">
        <strong className="vg-config-banner-title">
          A change to {file} was rejected
          {n > 1 ? ` (${n} problems)` : ''}
        </strong>
        <ul className="vg-config-problems">
          {rejected.problems.map((p, i) => (
            <li key={i} data-testid="config-problem">
              {p.where ? <code className="vg-config-where">{p.where}</code> : null}
              {p.path ? <span className="vg-config-path">{p.path}</span> : null}
              <span className="vg-config-message">{p.message}</span>
            </li>
          ))}
        </ul>
        <p className="vg-config-banner-note">
          Vigil is still running the last good configuration. Fix the file and save it: the change
          is applied on its own.
        </p>
      </div>
      {actions}
    </section>
  );
}
