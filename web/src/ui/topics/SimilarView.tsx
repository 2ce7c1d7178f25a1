import { For, Show, createResource, type JSX } from 'solid-js';
import { vault } from '../data';
import { href } from '../router';
import { semanticStatus, startSemantic } from '../settings-embeddings/semantic';
import type { ViewProps } from '../views';

const LIMIT = 20;

/** "More like this": the exchanges closest in meaning to one exchange (`#/similar/<nodeId>`). */
export default function SimilarView(props: ViewProps): JSX.Element {
  const nodeId = (): string => props.route.segments[1] ?? '';
  const [items] = createResource(
    () => ({ id: nodeId(), vectors: semanticStatus()?.vectors ?? 0 }),
    async ({ id }) => {
      const service = await startSemantic();
      const { db } = await vault();
      const [origin, hits] = await Promise.all([db.nodes.get(id), service.moreLikeThis(id, LIMIT)]);
      const nodes = await db.nodes.bulkGet(hits.map((h) => h.nodeId));
      const conversations = await db.conversations.bulkGet(nodes.map((n) => n?.conversationId ?? ''));
      return {
        origin,
        hits: hits.flatMap((h, i) => {
          const node = nodes[i];
          return node ? [{ node, score: h.score, title: conversations[i]?.title ?? 'Untitled conversation' }] : [];
        }),
      };
    },
  );
  return (
    <section class="page">
      <h1>More like this</h1>
      <Show when={items()} fallback={<p class="loading">Loading…</p>}>
        {(data) => (
          <>
            <Show when={data().origin}>{(o) => <p class="muted">Exchanges closest in meaning to “{o().human.text.slice(0, 160)}”.</p>}</Show>
            <Show
              when={data().hits.length > 0}
              fallback={
                <p class="empty" data-testid="similar-empty">
                  Nothing to compare yet: this exchange has no vector. Turn on embeddings in <a href="#/settings">Settings</a>, or wait until embedding finishes.
                </p>
              }
            >
              <ol class="results" data-testid="similar-results">
                <For each={data().hits}>
                  {(hit) => (
                    <li class="result">
                      <a class="result-title" href={href(['c', hit.node.conversationId], { node: hit.node.id })}>
                        {hit.title}
                      </a>
                      <p class="snippet">{hit.node.human.text.slice(0, 240)}</p>
                      <p class="result-meta muted">{Math.round(hit.score * 100)}% similar</p>
                    </li>
                  )}
                </For>
              </ol>
            </Show>
          </>
        )}
      </Show>
    </section>
  );
}
