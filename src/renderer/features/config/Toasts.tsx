/** Short messages in a corner (a reload went through, an export was saved); each goes away on its own. */
import { useEffect } from 'react';
import { useDeps, useVigil } from '../../app/context.js';
import { TOAST_MS, type Toast } from './notice.js';

function ToastView(props: { toast: Toast }) {
  const { store } = useDeps();
  const { id, tone, title, text } = props.toast;
  useEffect(() => {
    const t = setTimeout(() => store.getState().dropToast(id), TOAST_MS);
    return () => clearTimeout(t);
  }, [id, store]);
  return (
    <div
      className={`vg-toast is-${tone}`}
      role={tone === 'error' ? 'alert' : 'status'}
      data-testid="toast"
    >
      <div className="vg-toast-body">
        <strong className="vg-toast-title">{title}</strong>
        {text ? <span className="vg-toast-text">{text}</span> : null}
      </div>
      <button
        type="button"
        className="vg-toast-close"
        aria-label="Close message"
        onClick={() => store.getState().dropToast(id)}
      >
        ×
      </button>
    </div>
  );
}

export function Toasts() {
  const toasts = useVigil((s) => s.notices.toasts);
  if (toasts.length === 0) return null;
  return (
    <div className="vg-toasts" aria-live="polite">
      {toasts.map((t) => (
        <ToastView key={t.id} toast={t} />
      ))}
    </div>
  );
}
