/**
 * Light / dark / follow-the-system theme. The choice lives in localStorage so index.html can apply it before first
 * paint; `system` leaves `data-theme` unset and the CSS follows `prefers-color-scheme`.
 */
import { createSignal } from 'solid-js';

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'cogzy.theme';

function read(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

const [theme, setThemeSignal] = createSignal<ThemeChoice>(read());
const media = window.matchMedia('(prefers-color-scheme: dark)');
const [systemDark, setSystemDark] = createSignal(media.matches);
media.addEventListener('change', (e) => setSystemDark(e.matches));

export { theme };

/** The theme actually shown. */
export function effectiveTheme(): 'light' | 'dark' {
  const t = theme();
  return t === 'system' ? (systemDark() ? 'dark' : 'light') : t;
}

export function setTheme(choice: ThemeChoice): void {
  setThemeSignal(choice);
  try {
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // Storage disabled: the choice lasts for this visit only.
  }
  if (choice === 'system') delete document.documentElement.dataset['theme'];
  else document.documentElement.dataset['theme'] = choice;
}

/** The header toggle flips between light and dark from whatever is shown now. */
export function toggleTheme(): void {
  setTheme(effectiveTheme() === 'dark' ? 'light' : 'dark');
}
