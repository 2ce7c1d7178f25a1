/**
 * ChatGPT export adapter (conversations.json, split conversations-NNN.json, or a single conversation object).
 * The visible thread is the walk from `current_node` up to the root; other branches (edits, regenerations) become
 * inactive nodes holding only what comes after their fork. One node = a user message plus every assistant/tool
 * message until the next user message. Hidden parts go to `extras`, never into the visible text.
 */
import { emptyExtras, type Attachment, type NodeExtras, type Provider, type Turn } from '../../model';
import type { JsonRecord, NodeDraft, ParseContext, ParsedConversation, ProviderAdapter, RecordConsumer } from '../provider';
import { isObject, type JsonObject } from './common/json';
import { resolveThreads, type Step, type TreeItem } from './common/thread';
import { appendAll } from '../../arrays';

const PROVIDER: Provider = 'chatgpt';

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function looksLikeConversation(value: unknown): boolean {
  return isObject(value) && isObject(value['mapping']) && ('current_node' in value || 'title' in value || 'id' in value || 'conversation_id' in value);
}

/** ChatGPT times: float seconds, null, or (rarely) a numeric or ISO string. Returns epoch ms or null. */
export function chatgptTime(value: unknown, ctx: ParseContext): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' && Number.isFinite(value)) return Math.round(value * 1000);
  if (typeof value === 'string' && value.trim() !== '') {
    const asNumber = Number(value);
    if (Number.isFinite(asNumber)) return Math.round(asNumber * 1000);
    const parsed = Date.parse(value);
    if (Number.isFinite(parsed)) return parsed;
  }
  ctx.warn('bad-timestamp');
  return null;
}

interface MappingNode extends TreeItem {
  readonly message: JsonObject | null;
}

interface Rendered {
  text: string;
  attachments: Attachment[];
  citations: string[];
}

function partsText(content: JsonObject): string {
  const parts = content['parts'];
  if (!Array.isArray(parts)) return str(content['text']) ?? '';
  return parts.filter((part): part is string => typeof part === 'string').join('\n');
}

const ASSET_KINDS: Record<string, Attachment['kind']> = {
  image_asset_pointer: 'image',
  audio_asset_pointer: 'audio',
  real_time_user_audio_video_asset_pointer: 'other',
  video_container_asset_pointer: 'other',
};

/** Text of a message's content by content type; objects in `parts` become attachments or transcripts. */
function renderContent(content: JsonObject, ctx: ParseContext): Rendered {
  const type = str(content['content_type']) ?? '';
  const out: Rendered = { text: '', attachments: [], citations: [] };
  switch (type) {
    case 'text':
    case 'multimodal_text': {
      const parts = Array.isArray(content['parts']) ? (content['parts'] as unknown[]) : [];
      const texts: string[] = [];
      for (const part of parts) {
        if (typeof part === 'string') {
          texts.push(part);
        } else if (isObject(part)) {
          const partType = str(part['content_type']) ?? '';
          if (partType === 'audio_transcription') {
            texts.push(str(part['text']) ?? '');
          } else if (partType in ASSET_KINDS) {
            out.attachments.push({ name: str(part['asset_pointer']) ?? partType, kind: ASSET_KINDS[partType] ?? 'other', mimeType: null, text: null });
          } else {
            ctx.warn('unreadable-part', partType);
          }
        } else if (part !== null) {
          ctx.warn('unreadable-part');
        }
      }
      out.text = texts.filter((text) => text !== '').join('\n');
      return out;
    }
    case 'code':
    case 'execution_output':
      out.text = str(content['text']) ?? '';
      return out;
    case 'tether_browsing_display':
      out.text = [str(content['summary']), str(content['result'])].filter((text): text is string => !!text).join('\n');
      return out;
    case 'tether_quote':
    case 'sonic_webpage': {
      const title = str(content['title']) ?? str(content['domain']) ?? '';
      const url = str(content['url']) ?? '';
      if (title || url) out.citations.push([title, url].filter(Boolean).join(' '));
      out.text = str(content['text']) ?? str(content['snippet']) ?? partsText(content);
      return out;
    }
    case 'system_error':
      out.text = [str(content['name']), str(content['text'])].filter((text): text is string => !!text).join(': ');
      return out;
    case 'user_editable_context':
      out.text = [str(content['user_profile']), str(content['user_instructions'])].filter((text): text is string => !!text).join('\n\n');
      return out;
    case 'thoughts': {
      const thoughts = Array.isArray(content['thoughts']) ? (content['thoughts'] as unknown[]) : [];
      const texts = thoughts.filter(isObject).map((thought) => [str(thought['summary']), str(thought['content'])].filter((t): t is string => !!t).join('\n'));
      out.text = texts.length > 0 ? texts.join('\n\n') : partsText(content);
      return out;
    }
    case 'reasoning_recap':
      out.text = str(content['content']) ?? partsText(content);
      return out;
    default:
      ctx.warn('unknown-content-type', type);
      out.text = str(content['text']) ?? partsText(content);
      return out;
  }
}

function attachmentsOf(message: JsonObject): Attachment[] {
  const metadata = isObject(message['metadata']) ? message['metadata'] : {};
  const list = Array.isArray(metadata['attachments']) ? metadata['attachments'] : [];
  return list.filter(isObject).map((item) => {
    const mimeType = str(item['mime_type']) ?? str(item['mimeType']);
    const kind: Attachment['kind'] = mimeType?.startsWith('image/') ? 'image' : mimeType?.startsWith('audio/') ? 'audio' : 'file';
    return { name: str(item['name']) ?? str(item['id']) ?? 'attachment', kind, mimeType, text: null };
  });
}

function citationsOf(message: JsonObject): string[] {
  const metadata = isObject(message['metadata']) ? message['metadata'] : {};
  const list = Array.isArray(metadata['citations']) ? metadata['citations'] : [];
  const out: string[] = [];
  for (const citation of list) {
    if (!isObject(citation)) continue;
    const meta = isObject(citation['metadata']) ? citation['metadata'] : citation;
    const text = [str(meta['title']), str(meta['url'])].filter(Boolean).join(' ');
    if (text) out.push(text);
  }
  return out;
}

interface Exchange {
  human: Turn;
  assistant: Turn | null;
  extras: NodeExtras;
  attachments: Attachment[];
  /** Whether a real user message opened it (false: replies before any user turn). */
  hasUser: boolean;
  /** Message keys in this exchange (to tell which exchanges a branch segment touches). */
  keys: string[];
}

function newTurn(): Turn {
  return { text: '', messageIds: [], createdAt: null, model: null };
}

function appendText(turn: Turn, text: string): void {
  if (text === '') return;
  turn.text = turn.text === '' ? text : `${turn.text}\n\n${text}`;
}

/** Builds exchanges from a thread of messages (root to leaf). */
function buildExchanges(thread: readonly MappingNode[], defaultModel: string | null, ctx: ParseContext): Exchange[] {
  const exchanges: Exchange[] = [];
  let pendingExtras: NodeExtras = emptyExtras();
  let pendingKeys: string[] = [];
  let current: Exchange | null = null;

  const open = (hasUser: boolean, key: string): Exchange => {
    const exchange: Exchange = { human: newTurn(), assistant: null, extras: pendingExtras, attachments: [], hasUser, keys: [...pendingKeys, key] };
    pendingExtras = emptyExtras();
    pendingKeys = [];
    exchanges.push(exchange);
    return exchange;
  };

  for (const node of thread) {
    const message = node.message;
    if (message === null) continue;
    const author = isObject(message['author']) ? message['author'] : {};
    const role = str(author['role']) ?? '';
    const content = isObject(message['content']) ? message['content'] : {};
    const contentType = str(content['content_type']) ?? '';
    const metadata = isObject(message['metadata']) ? message['metadata'] : {};
    const recipient = str(message['recipient']) ?? 'all';
    const messageId = str(message['id']) ?? node.id;
    const createdAt = chatgptTime(message['create_time'], ctx);
    const rendered = renderContent(content, ctx);
    const hidden = metadata['is_visually_hidden_from_conversation'] === true;
    const side = current === null ? { extras: pendingExtras, keys: pendingKeys } : current;

    if (contentType === 'user_editable_context') {
      side.keys.push(node.id);
      if (rendered.text) side.extras.customInstructions.push(rendered.text);
      continue;
    }
    if (role === 'system' || (hidden && role !== 'tool')) {
      side.keys.push(node.id);
      if (rendered.text.trim()) side.extras.system.push(rendered.text);
      continue;
    }
    if (role === 'user') {
      const exchange = open(true, node.id);
      current = exchange;
      exchange.human.text = rendered.text;
      exchange.human.messageIds.push(messageId);
      exchange.human.createdAt = createdAt;
      appendAll(appendAll(exchange.attachments, attachmentsOf(message)), rendered.attachments);
      appendAll(exchange.extras.citations, rendered.citations);
      continue;
    }
    if (role !== 'assistant' && role !== 'tool') {
      ctx.warn('unknown-role', role);
      side.keys.push(node.id);
      if (rendered.text.trim()) side.extras.system.push(rendered.text);
      continue;
    }
    let exchange: Exchange;
    if (current === null) {
      ctx.warn('orphan-reply');
      exchange = open(false, node.id);
      current = exchange;
    } else {
      exchange = current;
      exchange.keys.push(node.id);
    }
    appendAll(appendAll(exchange.attachments, attachmentsOf(message)), rendered.attachments);
    appendAll(appendAll(exchange.extras.citations, rendered.citations), citationsOf(message));
    if (role === 'tool') {
      // Tool output folds into the call it answers (the latest open call of that tool, else the latest call).
      const name = str(author['name']) ?? 'tool';
      const calls = exchange.extras.toolCalls;
      const call = [...calls].reverse().find((c) => c.output === null && c.name === name) ?? [...calls].reverse().find((c) => c.output === null);
      if (call) call.output = rendered.text;
      else calls.push({ name, input: '', output: rendered.text });
      continue;
    }
    if (contentType === 'thoughts' || contentType === 'reasoning_recap') {
      if (rendered.text) exchange.extras.thinking.push(rendered.text);
      continue;
    }
    if (recipient !== 'all') {
      exchange.extras.toolCalls.push({ name: recipient, input: rendered.text, output: null });
      continue;
    }
    const assistant = exchange.assistant ?? newTurn();
    exchange.assistant = assistant;
    const language = str(content['language']);
    const text = contentType === 'code' && rendered.text ? `\`\`\`${language && language !== 'unknown' ? language : ''}\n${rendered.text}\n\`\`\`` : rendered.text;
    appendText(assistant, text);
    assistant.messageIds.push(messageId);
    assistant.createdAt ??= createdAt;
    assistant.model ??= str(metadata['model_slug']) ?? defaultModel;
  }
  const last = exchanges[exchanges.length - 1];
  if (last !== undefined) {
    // Hidden messages after the last exchange still belong to the conversation.
    for (const key of Object.keys(pendingExtras) as (keyof NodeExtras)[]) {
      appendAll(last.extras[key] as unknown[], pendingExtras[key] as unknown[]);
    }
    appendAll(last.keys, pendingKeys);
  }
  return exchanges;
}

function toDraft(exchange: Exchange, conversationId: string, ordinal: number, active: boolean, branchId: string | null): NodeDraft {
  return {
    kind: 'exchange',
    provider: PROVIDER,
    conversationId,
    ordinal,
    active,
    branchId,
    human: exchange.human,
    assistant: exchange.assistant,
    extras: exchange.extras,
    attachments: exchange.attachments,
    createdAt: exchange.human.createdAt ?? exchange.assistant?.createdAt ?? null,
  };
}

function readMapping(mapping: JsonObject): Map<string, MappingNode> {
  const nodes = new Map<string, MappingNode>();
  for (const [key, value] of Object.entries(mapping)) {
    if (!isObject(value)) continue;
    nodes.set(key, { id: key, parentId: str(value['parent']), message: isObject(value['message']) ? value['message'] : null });
  }
  return nodes;
}

function messageTime(node: MappingNode): number {
  const time = node.message?.['create_time'];
  return typeof time === 'number' ? time : Number(time ?? Number.NEGATIVE_INFINITY) || Number.NEGATIVE_INFINITY;
}

/** How buildExchanges will treat a message: a user message opens an exchange, a reply joins it, hidden/system ones go to the side. */
function messageStep(node: MappingNode): Step {
  const message = node.message;
  if (message === null) return 'skip';
  const role = isObject(message['author']) ? str(message['author']['role']) : null;
  const contentType = isObject(message['content']) ? str(message['content']['content_type']) : null;
  const hidden = isObject(message['metadata']) && message['metadata']['is_visually_hidden_from_conversation'] === true;
  if (contentType === 'user_editable_context' || role === 'system' || (hidden && role !== 'tool')) return 'skip';
  if (role === 'user') return 'open';
  return role === 'assistant' || role === 'tool' ? 'reply' : 'skip';
}

/** Parses one conversation object; returns null (after ctx.skip) when it cannot be read. */
export function parseChatgptConversation(value: unknown, raw: string, ctx: ParseContext): ParsedConversation | null {
  if (!isObject(value)) {
    ctx.skip('malformed-record', 'not an object');
    return null;
  }
  const providerId = str(value['id']) ?? str(value['conversation_id']);
  if (providerId === null || providerId === '') {
    ctx.skip('missing-id');
    return null;
  }
  const mapping = value['mapping'];
  if (!isObject(mapping)) {
    ctx.skip('no-messages');
    return null;
  }
  const nodes = readMapping(mapping);
  const defaultModel = str(value['default_model_slug']);
  const conversationId = `${PROVIDER}:${providerId}`;

  if (nodes.size === 0) {
    ctx.skip('no-messages');
    return null;
  }
  const current = str(value['current_node']);
  // Without a usable current_node, the newest leaf is the thread the person saw last.
  const pickLeaf = (leaves: readonly MappingNode[]): MappingNode | undefined => {
    if (current !== null && nodes.has(current)) return nodes.get(current);
    let newest: MappingNode | undefined;
    for (const leaf of leaves) if (newest === undefined || messageTime(leaf) >= messageTime(newest)) newest = leaf;
    return newest;
  };
  // Branches forking in the first exchange render from the root, so hidden context before the first prompt stays with it.
  const threads = resolveThreads([...nodes.values()], pickLeaf, ctx, messageStep, true);
  const drafts: NodeDraft[] = buildExchanges(threads.active, defaultModel, ctx).map((exchange, index) => toDraft(exchange, conversationId, index, true, null));
  // Inactive branches: only the exchanges touching messages that no earlier thread holds.
  for (const branch of threads.branches) {
    const segment = new Set(branch.path.slice(branch.fresh).map((node) => node.id));
    const branchId = str(nodes.get(branch.leafId)?.message?.['id']) ?? branch.leafId;
    buildExchanges(branch.path, defaultModel, ctx).forEach((exchange, index) => {
      const touched = exchange.keys.some((key) => segment.has(key));
      const hasContent = exchange.assistant !== null || exchange.hasUser || exchange.extras.toolCalls.length > 0;
      if (touched && hasContent) drafts.push(toDraft(exchange, conversationId, branch.offset + index, false, branchId));
    });
  }

  const messageCount = [...nodes.values()].filter((node) => node.message !== null).length;
  if (drafts.length === 0) {
    ctx.skip(messageCount === 0 ? 'no-messages' : 'empty-conversation');
    return null;
  }
  const models = drafts.map((draft) => draft.assistant?.model).filter((model): model is string => !!model);
  return {
    conversation: {
      id: conversationId,
      provider: PROVIDER,
      providerConversationId: providerId,
      kind: 'chat',
      title: str(value['title']) ?? 'Untitled',
      createdAt: chatgptTime(value['create_time'], ctx),
      updatedAt: chatgptTime(value['update_time'], ctx),
      model: defaultModel ?? models[0] ?? null,
      messageCount,
      raw,
    },
    nodes: drafts,
  };
}

/**
 * Records: elements of the root array (or of a top-level array such as `conversations`) are conversations. A root
 * object that is itself one conversation arrives as its properties: they are put back together and parsed at end.
 */
class ChatgptConsumer implements RecordConsumer {
  private single: Record<string, unknown> | null = null;

  constructor(private readonly ctx: ParseContext) {}

  push(record: JsonRecord): ParsedConversation[] {
    if (record.path === '' || (record.inArray === true && looksLikeConversation(record.value))) {
      const parsed = parseChatgptConversation(record.value, record.raw, this.ctx);
      return parsed === null ? [] : [parsed];
    }
    this.single ??= {};
    if (record.inArray === true) {
      const list = Array.isArray(this.single[record.path]) ? (this.single[record.path] as unknown[]) : [];
      list.push(record.value);
      this.single[record.path] = list;
    } else {
      this.single[record.path] = record.value;
    }
    return [];
  }

  end(): ParsedConversation[] {
    if (this.single === null) return [];
    const single = this.single;
    this.single = null;
    if (!looksLikeConversation(single)) {
      this.ctx.skip('unsupported-record');
      return [];
    }
    const parsed = parseChatgptConversation(single, JSON.stringify(single), this.ctx);
    return parsed === null ? [] : [parsed];
  }
}

const HTML_MARKER = /var\s+jsonData\s*=\s*\[/;

/** The end of the JSON array that starts at `start` (string-aware bracket matching), or -1. */
function arrayEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth += 1;
    } else if (c === 0x5d || c === 0x7d) {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

export const chatgptAdapter: ProviderAdapter = {
  provider: PROVIDER,
  detectJson(first, rootKind) {
    // A mapping tree alone is shared with DeepSeek: ChatGPT's own fields make it certain.
    if (first.path === '' && looksLikeConversation(first.value)) return isObject(first.value) && ('current_node' in first.value || 'create_time' in first.value) ? 0.9 : 0.5;
    if (first.path === '' && isObject(first.value) && ('conversation_id' in first.value || 'current_node' in first.value)) return 0.6;
    if (rootKind === 'object' && first.inArray === true && looksLikeConversation(first.value)) return 0.8;
    if (rootKind === 'object' && first.path === 'mapping' && first.inArray === false && isObject(first.value)) {
      const sample = Object.values(first.value).find(isObject);
      return sample !== undefined && 'children' in sample ? 0.7 : 0;
    }
    return 0;
  },
  createJsonConsumer(ctx) {
    return new ChatgptConsumer(ctx);
  },
  /** chat.html embeds the same conversations as `var jsonData = [...]` (read only when a zip has no JSON). */
  detectText(head) {
    return HTML_MARKER.test(head) ? 0.8 : 0;
  },
  parseText(text, ctx) {
    const match = HTML_MARKER.exec(text);
    const start = match ? match.index + match[0].length - 1 : -1;
    const end = start < 0 ? -1 : arrayEnd(text, start);
    let list: unknown;
    try {
      list = end < 0 ? null : JSON.parse(text.slice(start, end));
    } catch {
      list = null;
    }
    if (!Array.isArray(list)) {
      ctx.skip('malformed-record', 'chat.html holds no readable jsonData');
      return [];
    }
    return list.map((value) => parseChatgptConversation(value, JSON.stringify(value), ctx)).filter((parsed): parsed is ParsedConversation => parsed !== null);
  },
};
