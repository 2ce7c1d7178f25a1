import { For, Show, createEffect, createMemo, type JSX } from 'solid-js';
import type { NodeRow } from '../../db/database';
import { renderMarkdown } from '../markdown';
import { formatDateTime } from '../format';
import { semanticAvailable } from '../data';
import { href } from '../router';

export interface ReaderToggles {
  readonly thinking: boolean;
  readonly tools: boolean;
  readonly system: boolean;
  readonly attachments: boolean;
}

function Extra(props: { title: string; items: readonly string[]; open?: boolean }): JSX.Element {
  return (
    <Show when={props.items.length > 0}>
      <details class="extra" open={props.open}>
        <summary>{props.title}</summary>
        <For each={props.items}>{(text) => <pre>{text}</pre>}</For>
      </details>
    </Show>
  );
}

const COPIED_FOR_MS = 2000;

/**
 * A "Copy" button on every code block of a rendered reply. Added after sanitising (the sanitiser rightly removes
 * buttons from export content); `_html` is the rendered reply, read so this runs again when it changes.
 */
function addCopyButtons(root: HTMLElement, _html: string): void {
  for (const block of root.querySelectorAll<HTMLPreElement>('pre.code-block')) {
    if (block.querySelector(':scope > .copy-code')) continue;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'copy-code';
    button.textContent = 'Copy';
    button.addEventListener('click', () => {
      const code = block.querySelector('code')?.textContent ?? '';
      const say = (text: string): void => {
        button.textContent = text;
        setTimeout(() => (button.textContent = 'Copy'), COPIED_FOR_MS);
      };
      navigator.clipboard.writeText(code).then(
        () => say('Copied'),
        () => say('Copy failed: select the code and copy it'),
      );
    });
    block.prepend(button);
  }
}

/** One exchange (a human turn and the reply) with its hidden parts behind the reader's toggles. */
export default function Exchange(props: { node: NodeRow; toggles: ReaderToggles; highlighted: boolean }): JSX.Element {
  const reply = createMemo(() => (props.node.assistant ? renderMarkdown(props.node.assistant.text) : ''));
  const toolItems = createMemo(() =>
    props.node.extras.toolCalls.map((t) => `${t.name}\n${t.input}${t.output === null ? '' : `\n→ ${t.output}`}`),
  );
  const systemItems = createMemo(() => [...props.node.extras.system, ...props.node.extras.customInstructions]);
  const attachmentItems = createMemo(() =>
    props.node.attachments.map((a) => (a.text === null ? `${a.name} (no text in the export)` : `${a.name}\n\n${a.text}`)),
  );

  return (
    <article
      id={`node-${props.node.id}`}
      class="exchange"
      classList={{ highlight: props.highlighted, inactive: !props.node.active }}
      data-node-id={props.node.id}
      aria-current={props.highlighted ? 'location' : undefined}
      tabindex="-1"
    >
      <Show when={!props.node.active}>
        <p class="turn muted" style={{ margin: 0, 'font-size': '0.85rem' }}>
          Alternate branch (an edit or a regenerated reply that was not kept)
        </p>
      </Show>
      <Show when={props.toggles.system}>
        <div class="turn">
          <Extra title="Hidden system text" items={systemItems()} open />
        </div>
      </Show>
      {/* Groups, not regions: a landmark per turn would give the page dozens of landmarks with the same name. */}
      <div class="turn human" role="group" aria-label="You">
        <div class="turn-role">
          <span>{props.node.kind === 'exchange' ? 'You' : props.node.kind === 'document' ? 'Document' : 'Saved memory'}</span>
          <span>{formatDateTime(props.node.human.createdAt ?? props.node.createdAt)}</span>
        </div>
        <div class="plain-text">{props.node.human.text}</div>
        <Show when={props.toggles.attachments && attachmentItems().length > 0}>
          <Extra title={`Attachments (${attachmentItems().length})`} items={attachmentItems()} />
        </Show>
      </div>
      <Show when={props.node.assistant}>
        {(assistant) => (
          <div class="turn assistant" role="group" aria-label="Assistant">
            <div class="turn-role">
              <span>Assistant</span>
              <Show when={assistant().model}>
                <span>{assistant().model}</span>
              </Show>
            </div>
            <Show when={props.toggles.thinking}>
              <Extra title="Thinking" items={props.node.extras.thinking} />
            </Show>
            <Show when={props.toggles.tools}>
              <Extra title={`Tool calls (${toolItems().length})`} items={toolItems()} />
            </Show>
            {/* renderMarkdown sanitizes with DOMPurify: exports can hold arbitrary HTML. */}
            <div class="markdown" innerHTML={reply()} ref={(el) => createEffect(() => addCopyButtons(el, reply()))} />
            <Show when={props.toggles.tools && props.node.extras.citations.length > 0}>
              <Extra title="Sources" items={props.node.extras.citations} />
            </Show>
          </div>
        )}
      </Show>
      <Show when={semanticAvailable()}>
        <a class="muted" href={href(['similar', props.node.id])} style={{ 'font-size': '0.85rem' }}>
          More like this
        </a>
      </Show>
    </article>
  );
}
