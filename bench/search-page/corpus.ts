/**
 * Deterministic synthetic vault for the search benchmark: exchanges of ~150 words drawn from a Zipf-distributed
 * vocabulary (common English words at the head, ~30k generated words in the tail), 10 exchanges per conversation,
 * four providers, three years of dates. The same (seed, index) always gives the same exchange, so the page, the
 * worker and both engines see identical text.
 */
import { seededRandom as prng } from '../../shared/embed/random';
import type { Conversation, MemoryNode, Provider } from '../../shared/model';


const COMMON = (
  'the of and to a in is it you that for was on are with as i his they be at one have this from or had by not word but what some we can ' +
  'out other were all there when up use your how said an each she which do their time if will way about many then them write would like so ' +
  'these her long make thing see him two has look more day could go come did number sound no most people my over know water than call first ' +
  'who may down side been now find any new work part take get place made live where after back little only round man year came show every good ' +
  'me give our under name very through just form sentence great think say help low line differ turn cause much mean before move right boy old ' +
  'too same tell does set three want air well also play small end put home read hand port large spell add even land here must big high such ' +
  'follow act why ask men change went light kind off need house picture try us again animal point mother world near build self earth father ' +
  'function query database index memory export import stream record schema python error server client request response cache token model ' +
  'kayak sourdough mortgage garden recipe invoice travel budget resume interview contract kubernetes docker react typescript rust postgres'
).split(' ');

const SYLLABLES = 'ka ri to mo na lu se vi pa do re fi ga zo be tu ne hi ma lo sa ku pe di ro ta ve mi no ja'.split(' ');
const PROVIDERS: Provider[] = ['chatgpt', 'claude', 'gemini', 'grok'];
export const NODES_PER_CONVERSATION = 10;
const START = Date.UTC(2023, 0, 1);
const SPAN = 3 * 365 * 86_400_000;

export class Corpus {
  readonly vocabulary: string[];
  private readonly cdf: Float64Array;

  constructor(readonly seed: number, vocabularySize = 30_000) {
    const rng = prng(seed);
    const words = new Set(COMMON);
    while (words.size < vocabularySize) {
      const n = 2 + Math.floor(rng() * 3);
      let w = '';
      for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(rng() * SYLLABLES.length)] ?? 'ka';
      words.add(w);
    }
    this.vocabulary = [...words];
    // Zipf (s = 1.07): a few words are everywhere, most are rare, as in real chat text.
    this.cdf = new Float64Array(this.vocabulary.length);
    let sum = 0;
    for (let r = 0; r < this.vocabulary.length; r++) {
      sum += 1 / (r + 1) ** 1.07;
      this.cdf[r] = sum;
    }
    for (let r = 0; r < this.cdf.length; r++) this.cdf[r] = (this.cdf[r] ?? 0) / sum;
  }

  word(rng: () => number): string {
    const x = rng();
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cdf[mid] ?? 1) < x) lo = mid + 1;
      else hi = mid;
    }
    return this.vocabulary[lo] ?? 'the';
  }

  text(rng: () => number, words: number): string {
    const out: string[] = [];
    let sentence = 0;
    for (let i = 0; i < words; i++) {
      let w = this.word(rng);
      if (sentence === 0) w = w.charAt(0).toUpperCase() + w.slice(1);
      sentence++;
      if (sentence > 8 && rng() < 0.15) {
        w += '.';
        sentence = 0;
      } else if (rng() < 0.05) w += ',';
      out.push(w);
    }
    return `${out.join(' ')}.`;
  }

  exchange(index: number): { human: string; assistant: string; at: number; provider: Provider; conversation: number; ordinal: number } {
    const rng = prng(this.seed * 7919 + index * 104_729 + 1);
    const conversation = Math.floor(index / NODES_PER_CONVERSATION);
    const convRng = prng(this.seed + conversation * 31);
    const at = START + Math.floor(convRng() * SPAN) + (index % NODES_PER_CONVERSATION) * 60_000;
    return {
      human: this.text(rng, 20 + Math.floor(rng() * 20)),
      assistant: this.text(rng, 100 + Math.floor(rng() * 40)),
      at,
      provider: PROVIDERS[conversation % PROVIDERS.length] ?? 'chatgpt',
      conversation,
      ordinal: index % NODES_PER_CONVERSATION,
    };
  }

  /** Realistic queries: two mid-frequency words, half with the last word still being typed, some quoted phrases. */
  /** `salt`: another series of queries from the same vault (the typing series uses its own). */
  queries(count: number, totalNodes: number, salt = 99): string[] {
    const rng = prng(this.seed + salt);
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      const source = this.exchange(Math.floor(rng() * totalNodes));
      const all = source.assistant.toLowerCase().replace(/[.,]/g, '').split(' ');
      const words = all.filter((w) => w.length > 3);
      const a = words[Math.floor(rng() * words.length)] ?? 'memory';
      const b = words[Math.floor(rng() * words.length)] ?? 'index';
      // Phrases are two words that really are next to each other in some exchange.
      const at = Math.floor(rng() * Math.max(1, all.length - 1));
      const kind = i % 6;
      if (kind === 0) out.push(`"${all[at] ?? a} ${all[at + 1] ?? b}"`);
      else if (kind % 2 === 1) out.push(`${a} ${b.slice(0, 3 + Math.floor(rng() * 2))}`);
      else out.push(`${a} ${b} `);
    }
    return out;
  }
}

function hexId(n: number): string {
  return n.toString(16).padStart(64, '0');
}

/** Nodes [from, to) as the importer would deliver them: whole conversations with their nodes. */
export function importItems(corpus: Corpus, from: number, to: number): { conversation: Conversation; nodes: MemoryNode[]; duplicates: number }[] {
  const byConversation = new Map<number, { conversation: Conversation; nodes: MemoryNode[]; duplicates: number }>();
  for (let i = from; i < to; i++) {
    const e = corpus.exchange(i);
    let item = byConversation.get(e.conversation);
    if (!item) {
      item = {
        conversation: {
          schemaVersion: 1,
          id: `${e.provider}:bench-${e.conversation}`,
          provider: e.provider,
          providerConversationId: `bench-${e.conversation}`,
          kind: 'chat',
          title: e.human.split(' ').slice(0, 6).join(' '),
          createdAt: e.at,
          updatedAt: e.at + NODES_PER_CONVERSATION * 60_000,
          model: null,
          messageCount: NODES_PER_CONVERSATION * 2,
          nodeCount: NODES_PER_CONVERSATION,
          raw: '{}',
        },
        nodes: [],
        duplicates: 0,
      };
      byConversation.set(e.conversation, item);
    }
    item.nodes.push({
      schemaVersion: 1,
      id: hexId(i + 1),
      kind: 'exchange',
      provider: e.provider,
      conversationId: item.conversation.id,
      ordinal: e.ordinal,
      active: true,
      branchId: null,
      human: { text: e.human, messageIds: [], createdAt: e.at, model: null },
      assistant: { text: e.assistant, messageIds: [], createdAt: e.at, model: 'bench' },
      extras: { thinking: [], toolCalls: [], system: [], customInstructions: [], citations: [] },
      attachments: [],
      createdAt: e.at,
    });
  }
  return [...byConversation.values()];
}
