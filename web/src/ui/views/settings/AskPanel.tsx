import { createResource, createSignal, Show, type JSX } from 'solid-js';
import { ASK_MODES, fetchUsage, loadAskSettings, openBilling, saveAskSettings, type AskMode, type AskSettings, type Usage } from '../../../chat/ask';
import { toAppError } from '../../../../../shared/errors';
import { vault } from '../../data';

const MODE_LABELS: Record<AskMode, { label: string; hint: string }> = {
  cloud: { label: 'Cogzy cloud', hint: 'Metered: 20 messages a day on the free plan, unlimited on Premium.' },
  own: { label: 'Your own endpoint', hint: 'Any OpenAI-compatible URL (Ollama, LM Studio, …). Not metered; the key stays on this device.' },
  offline: { label: 'No model (offline)', hint: 'Answers are the best matching passages from your vault. Nothing leaves this device.' },
};

/** "3 of 20 messages used today · resets at 01:00" (the reset is UTC midnight, shown in local time). */
export function usageText(usage: Usage): string {
  if (usage.limit === null) return `Premium: unlimited messages (${usage.used} today)`;
  const reset = new Date(usage.resetsAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return `${usage.used} of ${usage.limit} messages used today · resets at ${reset}`;
}

/** Which model answers ask-memory questions, the own endpoint's settings, usage and the subscription. */
export default function AskPanel(props: { onChange?: (settings: AskSettings) => void }): JSX.Element {
  const [settings, { mutate }] = createResource(async () => loadAskSettings(await vault()));
  const [usage] = createResource(() => fetchUsage().catch(() => null));
  const [error, setError] = createSignal<string | null>(null);

  const update = async (next: AskSettings): Promise<void> => {
    mutate(next);
    props.onChange?.(next);
    try {
      await saveAskSettings(await vault(), next);
      setError(null);
    } catch (e) {
      setError(toAppError(e).message);
    }
  };
  const billing = (kind: 'checkout' | 'portal') => () => {
    openBilling(kind).catch((e: unknown) => setError(toAppError(e).message));
  };

  return (
    <Show when={settings()}>
      {(s) => (
        <div class="ask-settings">
          <fieldset class="ask-modes">
            <legend>Where the model runs</legend>
            {ASK_MODES.map((mode) => (
              <label>
                <input type="radio" name="ask-mode" value={mode} checked={s().mode === mode} onChange={() => void update({ ...s(), mode })} />
                <span>
                  <strong>{MODE_LABELS[mode].label}</strong> <small class="muted">{MODE_LABELS[mode].hint}</small>
                </span>
              </label>
            ))}
          </fieldset>
          <Show when={s().mode === 'own'}>
            <div class="ask-own">
              <label class="field">
                <span>Base URL (with /v1)</span>
                <input type="url" name="own-base-url" placeholder="http://localhost:11434/v1" value={s().own.baseUrl} onChange={(e) => void update({ ...s(), own: { ...s().own, baseUrl: e.currentTarget.value } })} />
              </label>
              <label class="field">
                <span>API key (optional, stays on this device)</span>
                <input type="password" name="own-api-key" autocomplete="off" value={s().own.apiKey} onChange={(e) => void update({ ...s(), own: { ...s().own, apiKey: e.currentTarget.value } })} />
              </label>
              <label class="field">
                <span>Model</span>
                <input type="text" name="own-model" placeholder="llama3.1" value={s().own.model} onChange={(e) => void update({ ...s(), own: { ...s().own, model: e.currentTarget.value } })} />
              </label>
            </div>
          </Show>
          <Show when={s().mode === 'cloud'}>
            <p class="ask-usage" data-testid="settings-usage">
              <Show when={usage()} fallback="Sign in to use Cogzy cloud (20 free messages a day).">
                {(u) => (
                  <>
                    {usageText(u())}{' '}
                    <Show
                      when={u().tier === 'premium'}
                      fallback={
                        <button type="button" class="button primary" onClick={billing('checkout')}>
                          Upgrade to Premium
                        </button>
                      }
                    >
                      <button type="button" class="button" onClick={billing('portal')}>
                        Manage subscription
                      </button>
                    </Show>
                  </>
                )}
              </Show>
            </p>
          </Show>
          <Show when={error()}>
            <p class="notice error" role="alert">
              {error()}
            </p>
          </Show>
        </div>
      )}
    </Show>
  );
}
