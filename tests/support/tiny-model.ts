/**
 * A tiny BERT-shaped sentence-embedding model that the tests build themselves (no model hub is reachable here).
 * The ONNX graph is `last_hidden_state = (Gather(word_emb, input_ids) + Gather(type_emb, token_type_ids)) * mask`,
 * written by hand-encoding the ONNX protobuf. transformers.js mean-pools and normalises it, so `handEmbed` can
 * compute the exact expected vector for any text and the tests can compare.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TINY_MODEL_ID = 'cogzy/tiny-embedder';
export const TINY_HIDDEN = 32;
const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
const WORDS = [
  'the', 'a', 'and', 'of', 'to', 'in', 'my', 'i', 'how', 'what', 'do', 'is', 'it', 'for', 'with', 'about',
  'cat', 'cats', 'dog', 'dogs', 'pet', 'pets', 'food', 'vet', 'kitten', 'puppy', 'feed', 'walk',
  'job', 'work', 'career', 'leave', 'leaving', 'salary', 'boss', 'interview', 'resume', 'quit',
  'python', 'code', 'bug', 'function', 'error', 'compile', 'rust', 'typescript', 'test', 'deploy',
  'recipe', 'bread', 'bake', 'oven', 'flour', 'sugar', 'cake', 'soup', 'garden', 'tomato', 'plant', 'water',
  '##s', '##ing', '##ed', '##er', 'run', 'jump', 'play', 'book', 'read', 'travel', 'trip', 'paris', 'train',
] as const;
export const TINY_VOCAB: readonly string[] = [...SPECIAL, ...WORDS];
const MODEL_MAX_LENGTH = 128;

/** Deterministic weights (mulberry32) so the hand computation and the model agree without shipping files. */
function weights(seed: number, count: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 1) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  }
  return out;
}
const WORD_EMB = weights(7, TINY_VOCAB.length * TINY_HIDDEN);
const TYPE_EMB = weights(11, 2 * TINY_HIDDEN);

// ---- protobuf encoding (just what ONNX needs) ----
type Bytes = Uint8Array;
function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
function concat(parts: readonly Bytes[]): Bytes {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
const intField = (field: number, value: number | bigint): Bytes => Uint8Array.from([...varint(field << 3), ...varint(value)]);
function lenField(field: number, payload: Bytes | string): Bytes {
  const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  return concat([Uint8Array.from([...varint((field << 3) | 2), ...varint(bytes.length)]), bytes]);
}

const FLOAT = 1;
const INT64 = 7;
function tensor(name: string, dims: readonly number[], dataType: number, raw: Bytes): Bytes {
  return concat([...dims.map((d) => intField(1, d)), intField(2, dataType), lenField(8, name), lenField(9, raw)]);
}
function valueInfo(name: string, elemType: number, dims: readonly (number | string)[]): Bytes {
  const shape = concat(dims.map((d) => lenField(1, typeof d === 'number' ? intField(1, d) : lenField(2, d))));
  const tensorType = concat([intField(1, elemType), lenField(2, shape)]);
  return concat([lenField(1, name), lenField(2, lenField(1, tensorType))]);
}
function node(op: string, inputs: readonly string[], outputs: readonly string[], attributes: readonly Bytes[] = []): Bytes {
  return concat([
    ...inputs.map((i) => lenField(1, i)),
    ...outputs.map((o) => lenField(2, o)),
    lenField(3, `${op}_${outputs[0] ?? ''}`),
    lenField(4, op),
    ...attributes.map((a) => lenField(5, a)),
  ]);
}
/** AttributeProto with an INT value (type 2). */
const intAttribute = (name: string, value: number): Bytes => concat([lenField(1, name), intField(3, value), intField(20, 2)]);

export function tinyModelOnnx(): Bytes {
  const f32 = (a: Float32Array): Bytes => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  const axes = new Uint8Array(new BigInt64Array([-1n]).buffer);
  const graph = concat([
    lenField(1, node('Gather', ['word_emb', 'input_ids'], ['word_vec'])),
    lenField(1, node('Gather', ['type_emb', 'token_type_ids'], ['type_vec'])),
    lenField(1, node('Add', ['word_vec', 'type_vec'], ['summed'])),
    lenField(1, node('Cast', ['attention_mask'], ['mask_f'], [intAttribute('to', FLOAT)])),
    lenField(1, node('Unsqueeze', ['mask_f', 'unsqueeze_axes'], ['mask_3d'])),
    lenField(1, node('Mul', ['summed', 'mask_3d'], ['last_hidden_state'])),
    lenField(2, 'tiny_bert'),
    lenField(5, tensor('word_emb', [TINY_VOCAB.length, TINY_HIDDEN], FLOAT, f32(WORD_EMB))),
    lenField(5, tensor('type_emb', [2, TINY_HIDDEN], FLOAT, f32(TYPE_EMB))),
    lenField(5, tensor('unsqueeze_axes', [1], INT64, axes)),
    lenField(11, valueInfo('input_ids', INT64, ['batch', 'sequence'])),
    lenField(11, valueInfo('attention_mask', INT64, ['batch', 'sequence'])),
    lenField(11, valueInfo('token_type_ids', INT64, ['batch', 'sequence'])),
    lenField(12, valueInfo('last_hidden_state', FLOAT, ['batch', 'sequence', TINY_HIDDEN])),
  ]);
  return concat([
    intField(1, 7), // ir_version 7 pairs with opset 13
    lenField(2, 'cogzy-tests'),
    lenField(7, graph),
    lenField(8, concat([lenField(1, ''), intField(2, 13)])),
  ]);
}

function tokenizerJson(): unknown {
  const vocab = Object.fromEntries(TINY_VOCAB.map((w, i) => [w, i]));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

/** Writes the model folder `<root>/<TINY_MODEL_ID>/` and returns the root (use it as env.localModelPath). */
export function buildTinyModel(root: string): string {
  const dir = join(root, TINY_MODEL_ID);
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const config = {
    model_type: 'bert',
    architectures: ['BertModel'],
    hidden_size: TINY_HIDDEN,
    vocab_size: TINY_VOCAB.length,
    type_vocab_size: 2,
    max_position_embeddings: MODEL_MAX_LENGTH,
    num_attention_heads: 1,
    num_hidden_layers: 0,
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson()));
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({ tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: MODEL_MAX_LENGTH, cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]', mask_token: '[MASK]' }),
  );
  const onnx = tinyModelOnnx();
  writeFileSync(join(dir, 'onnx', 'model.onnx'), onnx);
  writeFileSync(join(dir, 'onnx', 'model_quantized.onnx'), onnx);
  return root;
}

/** The reference tokenizer: lowercase, split on spaces and punctuation, greedy longest-match WordPiece. */
export function handTokenize(text: string): number[] {
  const index = new Map(TINY_VOCAB.map((w, i) => [w, i]));
  const words = text.toLowerCase().match(/[a-z0-9]+|[^\sa-z0-9]/g) ?? [];
  const ids = [2];
  for (const word of words) {
    const pieces: number[] = [];
    let start = 0;
    while (start < word.length) {
      let end = word.length;
      let found: number | undefined;
      while (end > start) {
        found = index.get((start > 0 ? '##' : '') + word.slice(start, end));
        if (found !== undefined) break;
        end -= 1;
      }
      if (found === undefined) {
        pieces.length = 0;
        pieces.push(1);
        break;
      }
      pieces.push(found);
      start = end;
    }
    ids.push(...pieces);
  }
  ids.push(3);
  return ids;
}

/** What transformers.js must return: mean over tokens of (word + type-0 embedding), L2-normalised. */
export function handEmbed(text: string): Float32Array {
  const ids = handTokenize(text);
  const out = new Float64Array(TINY_HIDDEN);
  for (const id of ids) for (let h = 0; h < TINY_HIDDEN; h += 1) out[h] = (out[h] ?? 0) + (WORD_EMB[id * TINY_HIDDEN + h] ?? 0) + (TYPE_EMB[h] ?? 0);
  let norm = 0;
  for (let h = 0; h < TINY_HIDDEN; h += 1) norm += (out[h] ?? 0) ** 2;
  norm = Math.sqrt(norm) || 1;
  return Float32Array.from(out, (v) => (v / ids.length) / (norm / ids.length));
}
