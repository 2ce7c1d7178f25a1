/**
 * The title field of keyword search (keyword-search.ts calls it), scored BM25F-style: an exchange is its own words
 * plus its conversation's title (title-index.ts holds the titles in memory). Each field's term frequency is
 * normalised by its own length, the two are added (the title weighted by TITLE_WEIGHT), and ONE saturation applies,
 * so a word in both the title and the exchange counts a little more than in one, never twice. Document
 * frequencies count every exchange of a conversation whose title holds the word, as if the title were copied into
 * each. A conversation found by its title alone is represented by one exchange: its first one the filters allow.
 * A title holding a query word counts as holding it (short keyword queries rank exchanges holding more of the
 * words first), and a quoted phrase in the title counts as found.
 *
 *   class TitleMatches {
 *     constructor(index: TitleIndex, docs: DocsTable, groups: TitleTerm[][], docCount)  // variants per query word
 *     extraDf(group, variant)  titleTf(group, variant, conversation)  setIdf(group, variant, idf)   // the exchange loop
 *     any()  holds(doc, group)
 *     lift(scores, matched, touched, allow, inBody(doc, group), represented?)   // words only the title holds; title-only conversations
 *     variants(group)  maxTitleTf(group, variant)  conversationsOf(group, variant)   // bounds for the top-k path
 *     hasPhrase(conversationId, phrase)
 *   }
 */
import type { DocsTable } from './keyword-index';
import { containsPhrase } from './snippets';
import type { TitleIndex } from './title-index';

const K1 = 1.2;
const B = 0.75;
/** A title word counts like one occurrence in an exchange of average length (length-normalised per field). */
export const TITLE_WEIGHT = 1;

export interface TitleTerm {
  term: string;
  /** As the exchange side weighs the variant (1 for the word typed, less for a prefix expansion or a correction). */
  weight: number;
}

/** Each conversation's exchanges in docId order (`docs[start[c]] … docs[start[c + 1] - 1]`), rebuilt only when the documents table grew or was replaced. */
const byConversation = new WeakMap<DocsTable, { size: number; start: Int32Array; docs: Int32Array }>();

export function conversationDocs(docs: DocsTable): { start: Int32Array; docs: Int32Array } {
  const size = docs.nodeId.length;
  const cached = byConversation.get(docs);
  if (cached && cached.size === size && cached.start.length === docs.conversationIds.length + 1) return cached;
  const count = docs.conversationIds.length;
  const start = new Int32Array(count + 1);
  for (let doc = 0; doc < size; doc++) {
    const c = docs.conversation[doc] ?? -1;
    if (docs.present[doc] && c >= 0) start[c + 1] = (start[c + 1] ?? 0) + 1;
  }
  for (let c = 0; c < count; c++) start[c + 1] = (start[c + 1] ?? 0) + (start[c] ?? 0);
  const fill = start.slice(0, count);
  const list = new Int32Array(start[count] ?? 0);
  for (let doc = 0; doc < size; doc++) {
    if (!docs.present[doc]) continue;
    const c = docs.conversation[doc] ?? -1;
    if (c < 0) continue;
    list[fill[c] ?? 0] = doc;
    fill[c] = (fill[c] ?? 0) + 1;
  }
  const built = { size, start, docs: list };
  byConversation.set(docs, built);
  return built;
}

/** What the titles say about one word: the same for every query while the titles and the documents table stay the same. */
interface TermTitles {
  /** Conversation number → the title's length-normalised, weighted frequency of the word. */
  tf: Map<number, number>;
  /** Exchanges of those conversations. */
  extraDf: number;
  /** The largest of `tf`. */
  maxTf: number;
}

/**
 * Arrays by conversation number for `titleTfs`, lent to one query at a time and zeroed where it wrote when it gives
 * them back (`TitleMatches.release`). Kept on the TermTitles of every word, they cost 8 bytes a conversation each,
 * for up to TERM_TITLES_KEPT words (hundreds of MB in a large vault); made for every query instead, their pages cost
 * ~0.3 ms each in Chromium (a fresh typed array is paid for page by page: see keyword-index.ts SegmentScratch).
 */
const densePool: Float64Array[] = [];
const DENSE_POOL_KEPT = 16;
/** `lift`'s slots by conversation number (it runs without awaiting: one at a time). */
let liftSlots = new Int32Array(0);

interface TitleVariant {
  titles: TermTitles;
  idf: number;
}

/**
 * Per title index: each word's TermTitles, kept while the titles (their version) and the documents table (and its
 * revision) stay the same. A common word's titles are thousands of conversations, each looked up by id: building
 * them for every query showed in profiles.
 */
const termTitlesCache = new WeakMap<TitleIndex, { version: number; docs: DocsTable; revision: number; terms: Map<string, TermTitles> }>();
/** Words kept per title index before the cache starts over. */
const TERM_TITLES_KEPT = 4096;

function termTitles(index: TitleIndex, docs: DocsTable, term: string): TermTitles {
  let cache = termTitlesCache.get(index);
  if (!cache || cache.version !== index.version || cache.docs !== docs || cache.revision !== docs.revision || cache.terms.size >= TERM_TITLES_KEPT) {
    cache = { version: index.version, docs, revision: docs.revision, terms: new Map() };
    termTitlesCache.set(index, cache);
  }
  const known = cache.terms.get(term);
  if (known) return known;
  const average = index.averageLength;
  const { start } = conversationDocs(docs);
  const tf = new Map<number, number>();
  let extraDf = 0;
  let maxTf = 0;
  for (const [id, count] of index.holders(term) ?? []) {
    const conversation = docs.conversationNumber(id);
    if (conversation < 0) continue; // no exchange of it is indexed (yet)
    const value = (TITLE_WEIGHT * count) / (1 - B + (B * index.length(id)) / average);
    tf.set(conversation, value);
    maxTf = Math.max(maxTf, value);
    extraDf += (start[conversation + 1] ?? 0) - (start[conversation] ?? 0);
  }
  const made = { tf, extraDf, maxTf };
  cache.terms.set(term, made);
  return made;
}

export class TitleMatches {
  private readonly groups: TitleVariant[][];
  private readonly conversations = new Set<number>();
  /** This query's `titleTfs` arrays, from densePool (see release). */
  private readonly dense = new Map<TermTitles, Float64Array>();

  constructor(
    private readonly index: TitleIndex,
    private readonly docs: DocsTable,
    groups: readonly (readonly TitleTerm[])[],
    docCount: number,
  ) {
    this.groups = groups.map((variants) =>
      variants.map(({ term, weight }) => {
        const titles = termTitles(index, docs, term);
        for (const conversation of titles.tf.keys()) this.conversations.add(conversation);
        // Overwritten by the exchange loop for variants it scores (with their exchange frequency added).
        const df = Math.min(docCount, titles.extraDf);
        return { titles, idf: Math.log(1 + (docCount - df + 0.5) / (df + 0.5)) * weight };
      }),
    );
  }

  extraDf(group: number, variant: number): number {
    return this.groups[group]?.[variant]?.titles.extraDf ?? 0;
  }

  titleTf(group: number, variant: number, conversation: number): number {
    return this.groups[group]?.[variant]?.titles.tf.get(conversation) ?? 0;
  }

  /**
   * `titleTf` for every conversation at once, by conversation number (null when no title holds the variant): the
   * exchange loop reads it once per posting, where a Map lookup each time showed in profiles.
   */
  titleTfs(group: number, variant: number): Float64Array | null {
    const titles = this.groups[group]?.[variant]?.titles;
    if (!titles || titles.tf.size === 0) return null;
    const known = this.dense.get(titles);
    if (known) return known;
    const size = this.docs.conversationIds.length;
    let dense = densePool.pop();
    while (dense && dense.length < size) dense = densePool.pop();
    dense ??= new Float64Array(size);
    // forEach, not for…of: until the engine optimises this, each step of a Map iterator is an object made.
    const target = dense;
    titles.tf.forEach((tf, conversation) => {
      target[conversation] = tf;
    });
    this.dense.set(titles, dense);
    return dense;
  }

  /** Gives this query's `titleTfs` arrays back, zeroed (the query is answered: nothing reads them any more). */
  release(): void {
    this.dense.forEach((dense, titles) => {
      titles.tf.forEach((_, conversation) => {
        dense[conversation] = 0;
      });
      if (densePool.length < DENSE_POOL_KEPT) densePool.push(dense);
    });
    this.dense.clear();
  }

  setIdf(group: number, variant: number, idf: number): void {
    const entry = this.groups[group]?.[variant];
    if (entry) entry.idf = idf;
  }

  /** How many variants group `g` has here: its exchange variants first, then those only titles hold. */
  variants(group: number): number {
    return this.groups[group]?.length ?? 0;
  }

  /** The largest title frequency of a variant over all conversations (0 when no title holds it). */
  maxTitleTf(group: number, variant: number): number {
    return this.groups[group]?.[variant]?.titles.maxTf ?? 0;
  }

  /** Conversation numbers whose title holds the variant. */
  conversationsOf(group: number, variant: number): Iterable<number> {
    return this.groups[group]?.[variant]?.titles.tf.keys() ?? [];
  }

  /** Some title holds some query word. */
  any(): boolean {
    return this.conversations.size > 0;
  }

  holds(doc: number, group: number): boolean {
    const conversation = this.docs.conversation[doc] ?? -1;
    return this.groups[group]?.some((variant) => variant.titles.tf.has(conversation)) ?? false;
  }

  /** The best variant's BM25 contribution of group `g` for a conversation, from its title alone. */
  private titleOnly(g: number, conversation: number): number {
    let best = 0;
    for (const variant of this.groups[g] ?? []) {
      const f = variant.titles.tf.get(conversation);
      if (f !== undefined) best = Math.max(best, (variant.idf * f * (K1 + 1)) / (f + K1));
    }
    return best;
  }

  /**
   * Adds, to the exchanges the words found, the words their title holds and they do not (counted as matched too);
   * then one exchange for each conversation only its title found. `represented`: whether some exchange of a
   * conversation holds a query word in its own text, when `touched` does not list every such exchange (the top-k
   * path scores only the candidates).
   */
  lift(
    scores: Float64Array,
    matched: Uint8Array,
    touched: number[],
    allow: (doc: number) => boolean,
    inBody: (doc: number, group: number) => boolean,
    represented?: (conversation: number) => boolean,
  ): void {
    if (this.conversations.size === 0) return;
    const groups = this.groups.length;
    // Per conversation whose title holds a word: where its title-only contribution of each group (the same for all
    // its exchanges) sits in `adds` once an exchange the words found is in it, else -1 (-2: no title holds a word).
    // Typed arrays by conversation number: a query of common words lifts tens of thousands of exchanges.
    const conversationCount = this.docs.conversationIds.length;
    if (liftSlots.length < conversationCount) liftSlots = new Int32Array(conversationCount);
    const slot = liftSlots;
    slot.fill(-2, 0, conversationCount);
    for (const conversation of this.conversations) slot[conversation] = -1;
    const adds: number[] = [];
    const conversationOf = this.docs.conversation;
    for (let i = 0; i < touched.length; i++) {
      const doc = touched[i] ?? 0;
      const conversation = conversationOf[doc] ?? -1;
      let at = slot[conversation] ?? -2;
      if (at === -2) continue;
      if (at === -1) {
        at = adds.length;
        slot[conversation] = at;
        for (let g = 0; g < groups; g++) adds.push(this.titleOnly(g, conversation));
      }
      for (let g = 0; g < groups; g++) {
        const add = adds[at + g] ?? 0;
        if (add === 0 || inBody(doc, g)) continue;
        scores[doc] = (scores[doc] ?? 0) + add;
        matched[doc] = (matched[doc] ?? 0) + 1;
      }
    }
    const { start, docs } = conversationDocs(this.docs);
    for (const conversation of this.conversations) {
      if ((slot[conversation] ?? -2) >= 0 || represented?.(conversation) === true) continue;
      for (let i = start[conversation] ?? 0; i < (start[conversation + 1] ?? 0); i++) {
        const doc = docs[i] ?? 0;
        if (!allow(doc)) continue;
        let score = 0;
        let held = 0;
        for (let g = 0; g < groups; g++) {
          const add = this.titleOnly(g, conversation);
          if (add === 0) continue;
          score += add;
          held += 1;
        }
        touched.push(doc);
        scores[doc] = score;
        matched[doc] = held;
        break;
      }
    }
  }

  /**
   * Conversation numbers whose title holds `phrase`: only titles holding all its words are read, so a phrase of
   * common words does not tokenize every title.
   */
  phraseConversations(phrase: readonly string[]): Set<number> {
    const out = new Set<number>();
    const holders = phrase.map((word) => this.index.holders(word));
    if (holders.some((h) => h === undefined)) return out;
    const sorted = (holders as ReadonlyMap<string, number>[]).sort((x, y) => x.size - y.size);
    const [rarest, ...others] = sorted;
    for (const id of rarest?.keys() ?? []) {
      if (!others.every((h) => h.has(id))) continue;
      const conversation = this.docs.conversationNumber(id);
      if (conversation >= 0 && this.hasPhrase(id, phrase)) out.add(conversation);
    }
    return out;
  }

  hasPhrase(conversationId: string, phrase: readonly string[]): boolean {
    const title = this.index.title(conversationId);
    return title !== undefined && containsPhrase(title, phrase);
  }
}
