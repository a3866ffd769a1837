/**
 * Keyboard shortcuts, decided by a pure function of the key and where it was typed: arrows move
 * between nodes, Enter opens the panel, Esc closes it, `r` restarts the selected service, `/`
 * focuses the log search, `t` toggles the theme. Typing in a field only ever reaches Esc.
 */
import { arrowDirection, type ArrowDirection } from '../features/graph/navigation.js';

export type KeyCommand =
  | { readonly kind: 'move'; readonly dir: ArrowDirection }
  | { readonly kind: 'open' }
  | { readonly kind: 'close' }
  | { readonly kind: 'restart' }
  | { readonly kind: 'focus-search' }
  | { readonly kind: 'toggle-theme' };

export interface KeyInput {
  readonly key: string;
  readonly ctrlKey?: boolean;
  readonly metaKey?: boolean;
  readonly altKey?: boolean;
  /** The event happened in a text field, select or editable element. */
  readonly inField: boolean;
  /** The event happened on a button or link (Enter activates it instead). */
  readonly onControl?: boolean;
}

export function keyCommand(e: KeyInput): KeyCommand | null {
  if (e.key === 'Escape') return { kind: 'close' };
  if (e.inField || e.ctrlKey || e.metaKey || e.altKey) return null;
  const dir = arrowDirection(e.key);
  if (dir) return { kind: 'move', dir };
  switch (e.key) {
    case 'Enter':
      return e.onControl ? null : { kind: 'open' };
    case 'r':
      return { kind: 'restart' };
    case '/':
      return { kind: 'focus-search' };
    case 't':
      return { kind: 'toggle-theme' };
    default:
      return null;
  }
}

/** Whether a DOM event target is a place where keys are text. */
export function isFieldTarget(target: EventTarget | null): boolean {
  if (typeof Element === 'undefined' || !(target instanceof Element)) return false;
  const tag = target.tagName;
  if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') return true;
  return (target as HTMLElement).isContentEditable === true;
}

export function isControlTarget(target: EventTarget | null): boolean {
  if (typeof Element === 'undefined' || !(target instanceof Element)) return false;
  return target.tagName === 'BUTTON' || target.tagName === 'A';
}
