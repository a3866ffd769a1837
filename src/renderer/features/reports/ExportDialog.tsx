/** Report export: pick a format and a range; the file is downloaded (a save dialog in the desktop app). */
import { useEffect, useRef, useState } from 'react';
import type { ReportFormat } from '../../../shared/views.js';
import { useDeps } from '../../app/context.js';
import { errorText } from '../../app/controller.js';
import { REPORT_FORMATS, REPORT_RANGES, downloadReport, reportSince } from './download.js';

export function ExportDialog() {
  const { store, controller, transport } = useDeps();
  const [format, setFormat] = useState<ReportFormat>('md');
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
      const report = await controller.client.getReport({ format, ...(since ? { since } : {}) });
      const name = downloadReport(report);
      setState({ kind: 'done', text: `Saved ${name}` });
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
            {REPORT_FORMATS.map((f, i) => (
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
        {transport === 'ipc' ? (
          <p className="vg-note">For a PDF, use File › Export Report › PDF… in the menu.</p>
        ) : null}
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
