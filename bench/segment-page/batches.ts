/** The segment bench's batches (node and Chromium alike): the search bench's seeded exchanges as index documents. */
import type { IndexDoc } from '../../web/src/search/keyword-index';
import { Corpus } from '../search-page/corpus';

export function segmentBatches(seed: number, count: number, size: number): IndexDoc[][] {
  const corpus = new Corpus(seed);
  const out: IndexDoc[][] = [];
  for (let b = 0; b < count; b++) {
    const docs: IndexDoc[] = [];
    for (let i = b * size; i < (b + 1) * size; i++) {
      const e = corpus.exchange(i);
      docs.push({
        docId: i + 1,
        nodeId: (i + 1).toString(16).padStart(64, '0'),
        conversationId: `${e.provider}:bench-${e.conversation}`,
        provider: e.provider,
        createdAt: e.at,
        active: true,
        human: e.human,
        assistant: e.assistant,
        hidden: '',
      });
    }
    out.push(docs);
  }
  return out;
}
