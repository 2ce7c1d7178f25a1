import { For, type JSX } from 'solid-js';
import { setTheme, theme, type ThemeChoice } from '../../theme';

const CHOICES: readonly { value: ThemeChoice; label: string }[] = [
  { value: 'system', label: 'Match this device' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

export default function AppearancePanel(): JSX.Element {
  return (
    <fieldset style={{ border: 0, padding: 0, margin: 0 }}>
      <legend>Theme</legend>
      <div class="toggles">
        <For each={CHOICES}>
          {(c) => (
            <label>
              <input type="radio" name="theme" value={c.value} checked={theme() === c.value} onChange={() => setTheme(c.value)} />
              {c.label}
            </label>
          )}
        </For>
      </div>
    </fieldset>
  );
}
