/**
 * Light / dark / follow-the-system theme. The choice is a synced setting (`theme`, vault/synced-settings.ts, so it
 * follows the person to their other devices; the settings-table row `ui.theme` is what older versions wrote) and is
 * mirrored in localStorage so index.html can apply it before first paint; `system` leaves `data-theme` unset and
 * the CSS follows `prefers-color-scheme`.
 */
import { createSignal } from 'solid-js';
import { SYNCED_SETTINGS, onSyncedSettingsChanged, readSyncedSetting, writeSyncedSetting, type SyncedSettingValue } from '../vault/synced-settings';
import { vault } from './data';

export type ThemeChoice = SyncedSettingValue<'theme'>;
const KEY = 'cogzy.theme';
const SETTING = 'ui.theme';

function isChoice(value: unknown): value is ThemeChoice {
  return SYNCED_SETTINGS.theme.safeParse(value).success;
}

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

function apply(choice: ThemeChoice): void {
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

export function setTheme(choice: ThemeChoice): void {
  apply(choice);
  // Best effort: a vault that cannot be written still shows the chosen theme for this visit.
  vault()
    .then(({ db }) => writeSyncedSetting(db, 'theme', choice))
    .catch(() => undefined);
}

/**
 * At start-up, and again whenever a sync brings another device's choice: the synced setting wins, then the row older
 * versions wrote, over the localStorage mirror (e.g. after the mirror was cleared).
 */
export async function loadThemeSetting(): Promise<void> {
  const { db } = await vault();
  const synced = await readSyncedSetting(db, 'theme');
  const row = synced === null ? await db.settings.get(SETTING) : undefined;
  const choice = synced ?? (row && isChoice(row.value) ? row.value : null);
  if (choice !== null && choice !== theme()) apply(choice);
}

onSyncedSettingsChanged(() => void loadThemeSetting().catch(() => undefined));

/** The header toggle flips between light and dark from whatever is shown now. */
export function toggleTheme(): void {
  setTheme(effectiveTheme() === 'dark' ? 'light' : 'dark');
}
