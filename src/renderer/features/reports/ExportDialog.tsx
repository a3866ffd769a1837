/**
 * Report export: pick a format and a range. In a browser the file is downloaded; in the desktop
 * app it goes through a save dialog, and PDF is offered too. The desktop app also exports the
 * stack itself to Kubernetes (a folder) or Compose (a file); a browser cannot write a folder, so
 * it points at `vigil export` instead.
 */
import { useEffect, useRef, useState } from 'react';
import { useDeps } from '../../app/context.js';
import { errorText } from '../../app/controller.js';
import {
  REPORT_RANGES,
  downloadReport,
  exportFormats,
  reportSince,
  type ExportChoice,
} from './download.js';

export function ExportDialog() {
  const { store, controller, desktop } = useDeps();
  const formats = exportFormats(desktop !== null);
  const [format, setFormat] = useState<ExportChoice>('md');
  const [range, setRange] = useState('24h');
  const [state, setState] = useState<{ kind: 'idle' | 'busy' | 'done' | 'error'; text: string }>({
    kind: 'idle',
    text: '',
  });
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);

  const close = () => store.getState().setExportOpen(false);
  const run = async () => {
    setState({ kind: 'busy', text: 'Building the report…' });
    try {
      const since = reportSince(range);
      if (desktop) {
        const res = await desktop.exportReport({ format, ...(since ? { since } : {}) });
        setState(
          res.saved
            ? { kind: 'done', text: `Saved ${res.file ?? ''}`.trim() }
            : { kind: 'idle', text: 'Not saved: the save dialog was cancelled.' },
        );
        return;
      }
      if (format === 'pdf') throw new Error('PDF is saved by the desktop app only');
      const report = await controller.client.getReport({ format, ...(since ? { since } : {}) });
      const name = downloadReport(report);
      setState({ kind: 'done', text: `Saved ${name}` });
    } catch (err) {
      const e = errorText(err);
      setState({ kind: 'error', text: `${e.message} (${e.code})` });
    }
  };

  const exportStack = desktop?.exportStack?.bind(desktop);
  const runStack = async (target: 'kubernetes' | 'compose') => {
    if (!exportStack) return;
    setState({
      kind: 'busy',
      text: `Exporting to ${target === 'kubernetes' ? 'Kubernetes' : 'Compose'}…`,
    });
    try {
      const res = await exportStack({ target });
      if (!res.saved) {
        setState({ kind: 'idle', text: 'Not exported: the dialog was cancelled.' });
        return;
      }
      const need = res.needImage ?? [];
      setState({
        kind: 'done',
        text: [
          `Wrote ${res.files ?? 0} file${res.files === 1 ? '' : 's'} to ${res.path ?? ''}.`,
          need.length > 0
            ? `${need.length} service${need.length === 1 ? ' needs' : 's need'} an image: ${need.join(', ')}.`
            : '',
          res.notes
            ? `${res.notes} change${res.notes === 1 ? '' : 's'} of meaning are listed in the files' comments.`
            : '',
        ]
          .filter((x) => x !== '')
          .join(' '),
      });
    } catch (err) {
      const e = errorText(err);
      setState({ kind: 'error', text: `${e.message} (${e.code})` });
    }
  };

  return (
    <div className="vg-modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && close()}>
      <div className="vg-modal" role="dialog" aria-modal="true" aria-labelledby="export-title">
        <h2 id="export-title">Export healing report</h2>
        <fieldset className="vg-fieldset">
          <legend>Format</legend>
          <div className="vg-choices">
            {formats.map((f, i) => (
              <label key={f.value} className={`vg-choice${format === f.value ? ' is-active' : ''}`}>
                <input
                  ref={i === 0 ? first : undefined}
                  type="radio"
                  name="format"
                  value={f.value}
                  checked={format === f.value}
                  onChange={() => setFormat(f.value)}
                />
                {f.label}
              </label>
            ))}
          </div>
        </fieldset>
        <label className="vg-field vg-field-block">
          <span>Range</span>
          <select className="vg-input" value={range} onChange={(e) => setRange(e.target.value)}>
            {REPORT_RANGES.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        <fieldset className="vg-fieldset">
          <legend>Export the stack</legend>
          {exportStack ? (
            <div className="vg-choices">
              <button
                type="button"
                className="vg-btn"
                disabled={state.kind === 'busy'}
                onClick={() => void runStack('kubernetes')}
              >
                Export to Kubernetes…
              </button>
              <button
                type="button"
                className="vg-btn"
                disabled={state.kind === 'busy'}
                onClick={() => void runStack('compose')}
              >
                Export to Compose…
              </button>
            </div>
          ) : (
            <p className="vg-note" data-testid="export-stack-note">
              To run this stack on Kubernetes or Compose, use <code>vigil export kubernetes</code>{' '}
              or <code>vigil export compose</code> (a browser cannot write a folder).
            </p>
          )}
        </fieldset>
        {state.text ? (
          <p
            className={state.kind === 'error' ? 'vg-alert' : 'vg-note'}
            role={state.kind === 'error' ? 'alert' : 'status'}
            data-testid="export-status"
          >
            {state.text}
          </p>
        ) : null}
        <div className="vg-modal-actions">
          <button type="button" className="vg-btn" onClick={close}>
            Close
          </button>
          <button
            type="button"
            className="vg-btn is-primary"
            disabled={state.kind === 'busy'}
            onClick={() => void run()}
          >
            Export
          </button>
        </div>
      </div>
    </div>
  );
}
