// A keyword index segment built plainly, as the format describes it: terms() with Maps, a default string sort, one
// varint at a time. tests/unit/search-segment.test.ts holds buildSegment to it byte for byte; bench/segment.bench.ts
// times buildSegment against it.
import { PROVIDERS } from '../../shared/model';
import { bucketOf, FIELD_CODES, GROUPS, type IndexDoc, type SearchIndexRow } from '../../web/src/search/keyword-index';
import { terms } from '../../web/src/search/tokenize';

function varint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

/** The segment's rows as the format describes them (keyword-index.ts: PostingsRow, LexiconRow, DocsRow), plainly. */
export function referenceSegment(docs: readonly IndexDoc[], seg: number): { rows: SearchIndexRow[]; lengths: [number, number, number] } {
  // key `<field><term>` -> its postings in document order, each with the term's positions in the field.
  const lists = new Map<string, { docId: number; positions: number[] }[]>();
  const df = new Map<string, number>();
  const lengths: [number, number, number] = [0, 0, 0];
  for (const doc of docs) {
    const seen = new Set<string>();
    FIELD_CODES.forEach((field, slot) => {
      const words = terms(slot === 0 ? doc.human : slot === 1 ? doc.assistant : doc.hidden);
      lengths[slot as 0 | 1 | 2] += words.length;
      const here = new Map<string, number[]>();
      words.forEach((term, position) => {
        const positions = here.get(term);
        if (positions) positions.push(position);
        else here.set(term, [position]);
        seen.add(term);
      });
      for (const [term, positions] of here) {
        const list = lists.get(field + term);
        if (list) list.push({ docId: doc.docId, positions });
        else lists.set(field + term, [{ docId: doc.docId, positions }]);
      }
    });
    for (const term of seen) df.set(term, (df.get(term) ?? 0) + 1);
  }
  const rows: SearchIndexRow[] = [];
  for (let g = 0; g < GROUPS; g++) {
    const keys = [...lists.keys()].filter((key) => bucketOf(key.slice(1)) % GROUPS === g).sort();
    if (keys.length === 0) continue;
    const data: number[] = [];
    const positions: number[] = [];
    const offsets: number[] = [];
    const positionOffsets: number[] = [];
    for (const key of keys) {
      offsets.push(data.length);
      positionOffsets.push(positions.length);
      const list = lists.get(key) ?? [];
      varint(data, list.length);
      let previous = 0;
      for (const posting of list) {
        varint(data, posting.docId - previous);
        varint(data, posting.positions.length);
        previous = posting.docId;
        posting.positions.forEach((position, i) => varint(positions, position - (i === 0 ? 0 : (posting.positions[i - 1] ?? 0))));
      }
    }
    offsets.push(data.length);
    positionOffsets.push(positions.length);
    rows.push({
      part: `g${g}`,
      seg,
      kind: 'postings',
      keys: keys.join('\n'),
      offsets: Uint32Array.from(offsets),
      data: Uint8Array.from(data),
      positions: Uint8Array.from(positions),
      positionOffsets: Uint32Array.from(positionOffsets),
    });
  }
  const lexicon = [...df.keys()].sort();
  rows.push({ part: 'lex', seg, kind: 'lexicon', terms: lexicon.join('\n'), df: Uint32Array.from(lexicon, (term) => df.get(term) ?? 0) });
  const conversations = [...new Set(docs.map((doc) => doc.conversationId))];
  rows.push({
    part: 'docs',
    seg,
    kind: 'docs',
    docIds: Uint32Array.from(docs, (doc) => doc.docId),
    provider: Uint8Array.from(docs, (doc) => PROVIDERS.indexOf(doc.provider)),
    createdAt: Float64Array.from(docs, (doc) => doc.createdAt ?? Number.NaN),
    active: Uint8Array.from(docs, (doc) => (doc.active ? 1 : 0)),
    lengths: Uint32Array.from(docs.flatMap((doc) => FIELD_CODES.map((_, slot) => terms(slot === 0 ? doc.human : slot === 1 ? doc.assistant : doc.hidden).length))),
    conversations,
    conversationOf: Uint32Array.from(docs, (doc) => conversations.indexOf(doc.conversationId)),
    nodeIds: docs.map((doc) => doc.nodeId).join('\n'),
    chunks: Int32Array.from(docs, (doc) => doc.chunk ?? 0),
  });
  return { rows, lengths };
}
