import { Corpus } from './search-page/corpus';
import { buildSegment, type IndexDoc } from '../web/src/search/keyword-index';
const corpus = new Corpus(42);
const batches: IndexDoc[][] = [];
for (let b = 0; b < 10; b++) {
  const docs: IndexDoc[] = [];
  for (let i = b * 1000; i < (b + 1) * 1000; i++) {
    const e = corpus.exchange(i);
    docs.push({ docId: i + 1, nodeId: String(i), conversationId: `c${e.conversation}`, provider: e.provider, createdAt: e.at, active: true, human: e.human, assistant: e.assistant, hidden: '' });
  }
  batches.push(docs);
}
const phases = { collect: 0, order: 0, sort: 0, encode: 0 };
for (let r = 0; r < 10; r++) {
  const c = process.cpuUsage();
  for (let b = 0; b < 10; b++) buildSegment(batches[b]!, b + 1, phases);
  const u = process.cpuUsage(c);
  console.log(((u.user + u.system) / 1000 / 10).toFixed(1), 'ms/1000');
}
console.log(Object.entries(phases).map(([k, v]) => `${k} ${(v / 100).toFixed(1)}`).join('  '));
