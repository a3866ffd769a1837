/** Light and dark themes: remembered when toggled, otherwise the system's preference. */

export type Theme = 'light' | 'dark';

export const THEME_STORAGE_KEY = 'vigil.theme';

export function parseTheme(value: unknown): Theme | null {
  return value === 'light' || value === 'dark' ? value : null;
}

/** The theme to start with: the remembered one, else what the system prefers. */
export function initialTheme(stored: unknown, prefersDark: boolean): Theme {
  return parseTheme(stored) ?? (prefersDark ? 'dark' : 'light');
}

export function otherTheme(theme: Theme): Theme {
  return theme === 'dark' ? 'light' : 'dark';
}

/** The small part of `Storage` the theme needs; access can throw in locked-down pages. */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export function loadTheme(storage: KeyValueStore | null, prefersDark: boolean): Theme {
  let stored: string | null = null;
  try {
    stored = storage?.getItem(THEME_STORAGE_KEY) ?? null;
  } catch {
    stored = null;
  }
  return initialTheme(stored, prefersDark);
}

export function saveTheme(storage: KeyValueStore | null, theme: Theme): void {
  try {
    storage?.setItem(THEME_STORAGE_KEY, theme);
  } catch {
    // storage unavailable: the choice lasts for this session only
  }
}
