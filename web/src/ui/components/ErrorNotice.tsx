import { Show, type JSX } from 'solid-js';
import type { AppErrorData } from '../../../../shared/errors';

/** A failure as the sentence from shared/errors.ts (what happened and what to do next). */
export default function ErrorNotice(props: { error: AppErrorData | undefined | null; title?: string }): JSX.Element {
  return (
    <Show when={props.error}>
      {(error) => (
        <div class="notice error" role="alert" data-code={error().code}>
          <Show when={props.title}>
            <strong>{props.title} </strong>
          </Show>
          {error().message}
        </div>
      )}
    </Show>
  );
}
