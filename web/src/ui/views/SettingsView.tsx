import { For, type JSX } from 'solid-js';
import { Dynamic } from 'solid-js/web';
import { SETTINGS_PANELS } from '../views';

/** Settings is a list of panels (see SETTINGS_PANELS); each panel owns its own state and saving. */
export default function SettingsView(): JSX.Element {
  const panels = [...SETTINGS_PANELS].sort((a, b) => a.order - b.order);
  return (
    <section class="page">
      <h1>Settings</h1>
      <For each={panels}>
        {(panel) => (
          <section class="card panel" aria-labelledby={`panel-${panel.id}`} id={`settings-${panel.id}`}>
            <h2 id={`panel-${panel.id}`}>{panel.title}</h2>
            <Dynamic component={panel.component} />
          </section>
        )}
      </For>
    </section>
  );
}
