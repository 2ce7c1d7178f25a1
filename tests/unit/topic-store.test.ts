import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/embed/random';
import { runEmbeddingJob } from '../../web/src/embed/embedding-job';
import { RemoteEmbedder } from '../../web/src/embed/remote-embedder';
import { buildTopics, loadTopics, refreshTopics, topicConversations } from '../../web/src/topics/topics';
import { VectorMatrix } from '../../web/src/vectors/vector-matrix';
import { startOpenAiServer, type OpenAiServer } from '../support/openai-server';
import { makeNode, openTestVault, putNodes } from './vector-test-nodes';

const THEMES = {
  garden: ['tomato', 'garden', 'compost', 'seedling', 'watering', 'soil', 'harvest', 'pruning'],
  finance: ['mortgage', 'budget', 'savings', 'interest', 'pension', 'invoice', 'taxes', 'loan'],
  fitness: ['running', 'marathon', 'stretching', 'protein', 'workout', 'squats', 'cardio', 'injury'],
} as const;
type Theme = keyof typeof THEMES;

function themedNodes(theme: Theme, count: number, seed: number, start = 0): ReturnType<typeof makeNode>[] {
  const random = seededRandom(seed);
  const words = THEMES[theme];
  const pick = (): string => words[Math.floor(random() * words.length)]!;
  return Array.from({ length: count }, (_, i) => makeNode(`please help with ${pick()} ${pick()} and ${pick()}`, `thanks, about ${pick()} and ${pick()} ${pick()}`, `chatgpt:${theme}-${(start + i) % 4}`, start + i));
}

describe('topics', () => {
  let server: OpenAiServer;
  beforeAll(async () => {
    server = await startOpenAiServer();
  });
  afterAll(() => server.close());
  const options = { random: seededRandom(4), now: () => 1_000 };

  it('groups exchanges into topics labelled by their distinctive words, and lists a topic’s conversations', async () => {
    const db = await openTestVault();
    const byTheme = { garden: themedNodes('garden', 40, 1), finance: themedNodes('finance', 40, 2), fitness: themedNodes('fitness', 40, 3) };
    await putNodes(db, Object.values(byTheme).flat());
    const embedder = new RemoteEmbedder({ baseUrl: server.url, model: 'stand-in-embed', dimensions: 256 });
    await runEmbeddingJob({ db, embedder });
    const matrix = await VectorMatrix.load(db, embedder.modelId, 256);
    const set = await buildTopics(db, matrix, options);
    expect(set.topics.length).toBe(8); // chooseK(120) = round(sqrt(60))
    expect(set.topics.reduce((n, t) => n + t.size, 0)).toBe(120);
    const themeOf = new Map(Object.entries(byTheme).flatMap(([theme, nodes]) => nodes.map((n) => [n.id, theme] as const)));
    for (const topic of set.topics) {
      const themes = new Set(set.nodeIds.filter((_, i) => set.assignments[i] === topic.id).map((id) => themeOf.get(id)));
      expect(themes.size, `topic ${topic.terms.join(', ')} mixes themes`).toBe(1);
      const [theme] = [...themes] as Theme[];
      // Its top label is a word of its own theme, never a word every topic shares ("help", "thanks", "about").
      expect(THEMES[theme!]).toContain(topic.terms[0]);
    }
    expect(await loadTopics(db)).toMatchObject({ modelId: 'remote:stand-in-embed', clusteredCount: 120 });
    const conversations = await topicConversations(db, set, set.topics[0]!.id);
    expect(conversations.length).toBeGreaterThan(0);
    expect(conversations.every((c) => /^chatgpt:(garden|finance|fitness)-\d$/.test(c.conversationId))).toBe(true);

    // A few new exchanges join their nearest topic; many trigger a fresh clustering.
    const few = themedNodes('garden', 10, 9, 100);
    await putNodes(db, few);
    await runEmbeddingJob({ db, embedder, onBlock: (b) => matrix.addBlock(b) });
    const updated = await refreshTopics(db, matrix, { ...options, now: () => 2_000 });
    expect(updated?.createdAt).toBe(1_000);
    expect(updated?.topics.reduce((n, t) => n + t.size, 0)).toBe(130);
    for (const node of few) {
      const topic = updated!.assignments[updated!.nodeIds.indexOf(node.id)]!;
      expect(THEMES.garden).toContain(updated!.topics[topic]!.terms[0]);
    }
    await putNodes(db, themedNodes('fitness', 40, 10, 200));
    await runEmbeddingJob({ db, embedder, onBlock: (b) => matrix.addBlock(b) });
    const reclustered = await refreshTopics(db, matrix, { ...options, now: () => 3_000 });
    expect(reclustered).toMatchObject({ createdAt: 3_000, clusteredCount: 170 });
    db.close();
  });
});
