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
/**
 * A choice shown but not yet written to the vault (the write is asynchronous: a reload or a closed tab right after
 * the click would lose it, and the other devices would never hear of it). Cleared once written; written at start-up
 * when still there.
 */
const UNSAVED = 'cogzy.theme.unsaved';
const SETTING = 'ui.theme';

function isChoice(value: unknown): value is ThemeChoice {
  return SYNCED_SETTINGS.theme.safeParse(value).success;
}

function unsaved(): ThemeChoice | null {
  try {
    const v = localStorage.getItem(UNSAVED);
    return isChoice(v) ? v : null;
  } catch {
    return null;
  }
}

function markUnsaved(choice: ThemeChoice | null): void {
  try {
    if (choice === null) localStorage.removeItem(UNSAVED);
    else localStorage.setItem(UNSAVED, choice);
  } catch {
    // Storage disabled: nothing to recover from later either.
  }
}

/** Writes the choice for every device, then forgets the marker (unless a newer choice replaced it meanwhile). */
async function save(choice: ThemeChoice): Promise<void> {
  const { db } = await vault();
  await writeSyncedSetting(db, 'theme', choice);
  if (unsaved() === choice) markUnsaved(null);
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
  markUnsaved(choice);
  // Best effort: a vault that cannot be written still shows the chosen theme; the next start writes it again.
  save(choice).catch(() => undefined);
}

/**
 * At start-up, and again whenever a sync brings another device's choice: the synced setting wins, then the row older
 * versions wrote, over the localStorage mirror (e.g. after the mirror was cleared). A choice made here and not yet
 * written (UNSAVED) is newer than all of them: it is written now, and stays shown.
 */
export async function loadThemeSetting(): Promise<void> {
  const pending = unsaved();
  if (pending !== null) {
    if (pending !== theme()) apply(pending);
    await save(pending);
    return;
  }
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
