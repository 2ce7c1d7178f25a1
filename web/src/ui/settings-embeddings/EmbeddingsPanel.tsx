import { Match, Show, Switch, createEffect, createSignal, type JSX } from 'solid-js';
import { defaultLocal, defaultRemote, type EmbedderSettings, type LocalSettings, type RemoteSettings } from '../../embed/embedder-settings';
import ErrorNotice from '../components/ErrorNotice';
import { semanticStatus, startSemantic } from './semantic';
import './embeddings.css';

type Kind = EmbedderSettings['choice']['kind'];

const PHASE_TEXT: Record<string, string> = {
  off: 'Semantic search is off. Keyword search works as always.',
  starting: 'Starting the embedding model…',
  embedding: 'Embedding your conversations in the background. Search already uses what is done.',
  ready: 'Every exchange has a vector: semantic and hybrid search and topics are up to date.',
  paused: 'Paused. Vectors made so far are kept; resume any time.',
  error: 'Embedding stopped.',
};

/** Settings → Embeddings: choose a remote OpenAI-compatible service or the on-device model, and watch progress. */
export default function EmbeddingsPanel(): JSX.Element {
  const [kind, setKind] = createSignal<Kind>('off');
  const [remote, setRemote] = createSignal<RemoteSettings>(defaultRemote());
  const [local, setLocal] = createSignal<LocalSettings>(defaultLocal());
  const [saving, setSaving] = createSignal(false);
  const [loaded, setLoaded] = createSignal(false);

  void startSemantic();
  // Show the saved choice once the service has read it. Its first status (before the read) has no settings; taking
  // that as "Off" made a directly opened #/settings show and then save Off.
  createEffect(() => {
    const settings = semanticStatus()?.settings;
    if (!settings || loaded()) return;
    setLoaded(true);
    const choice = settings.choice;
    setKind(choice.kind);
    if (choice.kind === 'remote') setRemote(choice);
    if (choice.kind === 'local') setLocal(choice);
  });

  const save = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    if (!loaded()) return;
    setSaving(true);
    try {
      const choice = kind() === 'remote' ? remote() : kind() === 'local' ? local() : ({ kind: 'off' } as const);
      await (await startSemantic()).applySettings({ version: 1, choice });
    } finally {
      setSaving(false);
    }
  };
  const numberOrNull = (v: string): number | null => (v.trim() === '' ? null : Math.max(1, Math.floor(Number(v))) || null);
  const percent = (): number => {
    const p = semanticStatus()?.progress;
    return p && p.total > 0 ? (p.embedded / p.total) * 100 : 0;
  };

  return (
    <form class="embed-form" onSubmit={(e) => void save(e)} data-testid="embeddings-panel">
      <p class="muted" style={{ 'margin-top': 0 }}>
        Semantic search finds exchanges by meaning, and Topics groups them. Each exchange is embedded once: your question, a blank line, then the
        reply, cut at a word to the model&apos;s window (the question keeps most of it when both are long).
      </p>
      <fieldset style={{ border: 0, padding: 0, margin: 0 }} disabled={!loaded()}>
        <legend>Embeddings</legend>
        <div class="toggles">
          <label>
            <input type="radio" name="embedder-kind" checked={kind() === 'off'} onChange={() => setKind('off')} /> Off
          </label>
          <label>
            <input type="radio" name="embedder-kind" checked={kind() === 'local'} onChange={() => setKind('local')} /> On this device (private, works offline)
          </label>
          <label>
            <input type="radio" name="embedder-kind" checked={kind() === 'remote'} onChange={() => setKind('remote')} /> An OpenAI-compatible service
          </label>
        </div>
      </fieldset>
      <Switch>
        <Match when={kind() === 'remote'}>
          <div class="field">
            <label for="embed-url">Service URL</label>
            <input id="embed-url" type="url" required value={remote().baseUrl} onInput={(e) => setRemote({ ...remote(), baseUrl: e.currentTarget.value })} />
          </div>
          <div class="field">
            <label for="embed-model">Model</label>
            <input id="embed-model" required value={remote().model} onInput={(e) => setRemote({ ...remote(), model: e.currentTarget.value })} />
          </div>
          <div class="field">
            <label for="embed-key">API key</label>
            <input id="embed-key" type="password" autocomplete="off" value={remote().apiKey} onInput={(e) => setRemote({ ...remote(), apiKey: e.currentTarget.value })} />
            <small class="muted">Kept on this device and sent only to the service above. Your exchanges are sent there to be embedded.</small>
          </div>
          <div class="field">
            <label for="embed-dims">Dimensions (optional)</label>
            <input id="embed-dims" inputmode="numeric" value={remote().dimensions ?? ''} onInput={(e) => setRemote({ ...remote(), dimensions: numberOrNull(e.currentTarget.value) })} />
          </div>
          <div class="field">
            <label for="embed-batch">Texts per request</label>
            <input id="embed-batch" type="number" min="1" max="2048" value={remote().batchSize} onInput={(e) => setRemote({ ...remote(), batchSize: numberOrNull(e.currentTarget.value) ?? 64 })} />
          </div>
          <div class="field">
            <label for="embed-concurrency">Requests at once</label>
            <input id="embed-concurrency" type="number" min="1" max="1024" value={remote().concurrency} onInput={(e) => setRemote({ ...remote(), concurrency: numberOrNull(e.currentTarget.value) ?? 4 })} />
          </div>
        </Match>
        <Match when={kind() === 'local'}>
          <div class="field">
            <label for="embed-local-model">Model</label>
            <input id="embed-local-model" required value={local().model} onInput={(e) => setLocal({ ...local(), model: e.currentTarget.value })} />
            <small class="muted">Downloaded once, the first time it runs (about 30 MB for the default model and its runtime), then it works offline. Uses the GPU when the browser offers one.</small>
          </div>
          <div class="field">
            <label for="embed-local-path">Model files from this site (optional)</label>
            <input
              id="embed-local-path"
              placeholder="/models/"
              value={local().localModelPath ?? ''}
              onInput={(e) => setLocal({ ...local(), localModelPath: e.currentTarget.value.trim() === '' ? null : e.currentTarget.value.trim() })}
            />
            <small class="muted">For self-hosting: a folder on this site holding the model. Empty: download it from the Hugging Face hub.</small>
          </div>
        </Match>
      </Switch>
      <div class="actions">
        <button type="submit" class="button primary" disabled={saving() || !loaded()}>
          {saving() ? 'Saving…' : loaded() ? 'Save and start' : 'Reading your settings…'}
        </button>
        <Show when={semanticStatus()?.phase === 'embedding'}>
          <button type="button" class="button" onClick={() => void startSemantic().then((s) => s.pause())}>
            Pause
          </button>
        </Show>
        <Show when={semanticStatus()?.phase === 'paused' || semanticStatus()?.phase === 'error'}>
          <button type="button" class="button" onClick={() => void startSemantic().then((s) => s.resume())}>
            Resume
          </button>
        </Show>
      </div>
      <Show when={semanticStatus()}>
        {(s) => (
          <div role="status" data-testid="embedding-status" data-phase={s().phase}>
            <p>{PHASE_TEXT[s().phase]}</p>
            <Show when={s().modelId}>
              <p class="muted">
                Model {s().modelId} · {s().dim} dimensions · {s().device === 'remote' ? 'remote service' : `on this device (${s().device ?? ''})`} ·{' '}
                <span data-testid="vector-count">{s().vectors}</span> vectors
              </p>
            </Show>
            <Show when={s().phase === 'embedding' && s().progress}>
              {(p) => (
                <div class="progress-bar" role="progressbar" aria-label="Embedding progress" aria-valuemin="0" aria-valuemax="100" aria-valuenow={Math.round(percent())}>
                  <span style={{ width: `${percent().toFixed(1)}%` }} />
                  <span class="visually-hidden">
                    {p().embedded} of {p().total}
                  </span>
                </div>
              )}
            </Show>
            <ErrorNotice error={s().error} />
            <ErrorNotice error={s().queryError} title="The last semantic search could not run:" />
          </div>
        )}
      </Show>
    </form>
  );
}
