import { For, type JSX } from 'solid-js';
import { PROVIDERS, PROVIDER_LABELS, providerSchema, type Provider } from '../../../../shared/model';

export function parseProvider(value: string | null | undefined): Provider | null {
  const parsed = providerSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

export default function ProviderSelect(props: { value: Provider | null; onChange: (p: Provider | null) => void; id: string }): JSX.Element {
  return (
    <label class="field" for={props.id}>
      Provider
      <select id={props.id} value={props.value ?? ''} onChange={(e) => props.onChange(parseProvider(e.currentTarget.value))}>
        <option value="">All providers</option>
        <For each={PROVIDERS}>{(p) => <option value={p}>{PROVIDER_LABELS[p]}</option>}</For>
      </select>
    </label>
  );
}
