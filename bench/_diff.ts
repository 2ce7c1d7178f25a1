import { isDeepStrictEqual } from 'node:util';
import { Corpus } from './search-page/corpus';
import { baselineBuildSegment } from './segment-baseline';
import { buildSegment, type IndexDoc } from '../web/src/search/keyword-index';
const corpus = new Corpus(42);
const docs: IndexDoc[] = [];
for (let i = 0; i < 1000; i++) { const e = corpus.exchange(i); docs.push({ docId: i + 1, nodeId: String(i), conversationId: `c${e.conversation}`, provider: e.provider, createdAt: e.at, active: true, human: e.human, assistant: e.assistant, hidden: '' }); }
const a = buildSegment(docs, 1), b = baselineBuildSegment(docs, 1);
console.log(isDeepStrictEqual(a.lengths, b.lengths), a.lengths, b.lengths, a.rows.length, b.rows.length);
a.rows.forEach((r, i) => { const o = b.rows[i]!; if (!isDeepStrictEqual(r, o)) { console.log('row', i, r.part); for (const k of Object.keys(r)) if (!isDeepStrictEqual((r as any)[k], (o as any)[k])) console.log(' field', k, String((r as any)[k]).slice(0, 200), '|', String((o as any)[k]).slice(0, 200)); } });
const lex = (a.rows.find((r) => r.part === 'lex') as any).terms.split('\n') as string[];
console.log('lex', lex.length, new Set(lex).size, lex.filter((t, i) => lex[i - 1] === t).slice(0, 5));
