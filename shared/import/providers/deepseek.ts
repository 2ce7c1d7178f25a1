/**
 * DeepSeek export (conversations.json): like ChatGPT's `mapping` tree, but each message is `fragments[]` typed
 * REQUEST (the person), RESPONSE, THINK and SEARCH (the assistant), times are ISO with +08:00, and there is no
 * current node: the active thread is the longest chain (ties: the newest leaf); other branches are inactive.
 * No real sample was available: written from FORMATS.md and public descriptions of the export.
 */
import { emptyExtras } from '../../model';
import type { Attachment } from '../../model';
import type { JsonRecord, ParseContext, ParsedConversation, ProviderAdapter, RecordConsumer } from '../provider';
import { asArray, asId, asObject, asString, isObject } from './common/json';
import type { JsonObject } from './common/json';
import { attachmentKind, cleanText, isBlank } from './common/text';
import { timeOrWarn } from './common/time';
import { chatConversation, isEmptyMessage, longestChainLeaf, messageStep, resolveThreads } from './common/thread';
import type { MessageDraft, Role, TreeItem } from './common/thread';

type DeepSeekMessage = MessageDraft & TreeItem & { readonly structural: boolean };

function hasFragments(mapping: JsonObject): boolean {
  return Object.values(mapping).some((node) => Array.isArray(asObject(asObject(node)?.message)?.fragments));
}

function detectJson(first: JsonRecord, rootKind: 'array' | 'object'): number {
  const value = asObject(first.value);
  const mapping = asObject(value?.mapping);
  if (rootKind !== 'array' || !value || !mapping) return 0;
  if (hasFragments(mapping)) return 0.97;
  // ChatGPT writes create_time; an empty DeepSeek conversation still has inserted_at.
  return 'inserted_at' in value && !('create_time' in value) ? 0.6 : 0;
}

function readFiles(message: JsonObject): Attachment[] {
  const attachments: Attachment[] = [];
  for (const entry of asArray(message.files) ?? []) {
    const file = asObject(entry);
    const name = asString(file?.file_name) ?? asString(file?.name);
    if (!file || !name) continue;
    const text = asString(file.content) ?? null;
    attachments.push({ name, kind: attachmentKind(name, null), mimeType: null, text });
  }
  return attachments;
}

function readNode(nodeId: string, raw: unknown, conversationId: string, ctx: ParseContext): DeepSeekMessage | undefined {
  const node = asObject(raw);
  if (!node) {
    ctx.warn('unreadable-part', `node ${nodeId} of ${conversationId} is not an object`);
    return undefined;
  }
  const id = asId(node.id) ?? nodeId;
  const parentId = asId(node.parent) ?? null;
  const message = asObject(node.message);
  if (!message) {
    // The root (and other message-less nodes) only link the tree.
    return { id, parentId, role: 'human', text: '', createdAt: null, model: null, extras: emptyExtras(), attachments: [], structural: true };
  }
  const texts: string[] = [];
  const extras = emptyExtras();
  let role: Role = 'assistant';
  for (const entry of asArray(message.fragments) ?? []) {
    const fragment = asObject(entry);
    const type = typeof fragment?.type === 'string' ? fragment.type.toUpperCase() : '';
    const content = typeof fragment?.content === 'string' ? fragment.content : '';
    switch (type) {
      case 'REQUEST':
        role = 'human';
        texts.push(content);
        break;
      case 'RESPONSE':
        texts.push(content);
        break;
      case 'THINK':
        if (!isBlank(content)) extras.thinking.push(cleanText(content));
        break;
      case 'SEARCH':
        for (const result of asArray(fragment?.results) ?? []) {
          const hit = asObject(result);
          const url = asString(hit?.url);
          if (url) extras.citations.push(asString(hit?.title) ? `${asString(hit?.title)} ${url}` : url);
        }
        break;
      default:
        ctx.warn('unknown-content-type', `fragment type "${type}" in ${id}`);
        if (!isBlank(content)) texts.push(content);
    }
  }
  const draft: DeepSeekMessage = {
    id,
    parentId,
    role,
    text: cleanText(texts.filter((text) => !isBlank(text)).join('\n\n')),
    createdAt: timeOrWarn(message.inserted_at, ctx, `message ${id}`),
    model: asString(message.model) ?? null,
    extras,
    attachments: readFiles(message),
    structural: false,
  };
  if (isEmptyMessage(draft)) ctx.warn('empty-message', `message ${id} is empty`);
  return draft;
}

function readConversation(record: JsonRecord, ctx: ParseContext): ParsedConversation | undefined {
  const value = record.value;
  if (!isObject(value)) {
    ctx.skip('malformed-record', `record ${record.index} is not an object`);
    return undefined;
  }
  const providerConversationId = asId(value.id);
  if (!providerConversationId) {
    ctx.skip('missing-id', `record ${record.index} has no id`);
    return undefined;
  }
  const mapping = asObject(value.mapping);
  if (!mapping) {
    ctx.skip('malformed-record', `conversation ${providerConversationId} has no mapping`);
    return undefined;
  }
  const items = Object.entries(mapping)
    .map(([nodeId, node]) => readNode(nodeId, node, providerConversationId, ctx))
    .filter((item) => item !== undefined);
  const messages = items.filter((item) => !item.structural);
  if (messages.length === 0) {
    ctx.skip('no-messages', `conversation ${providerConversationId} has no messages`);
    return undefined;
  }
  return chatConversation(
    'deepseek',
    providerConversationId,
    resolveThreads(items, longestChainLeaf, ctx, messageStep),
    {
      title: asString(value.title),
      createdAt: timeOrWarn(value.inserted_at, ctx, `conversation ${providerConversationId}`),
      updatedAt: timeOrWarn(value.updated_at, ctx, `conversation ${providerConversationId}`),
      model: null,
      messageCount: messages.length,
      raw: record.raw,
    },
    ctx,
  );
}

function createJsonConsumer(ctx: ParseContext): RecordConsumer {
  return {
    push(record) {
      const parsed = readConversation(record, ctx);
      return parsed ? [parsed] : [];
    },
    end() {
      return [];
    },
  };
}

export const deepseekAdapter: ProviderAdapter = {
  provider: 'deepseek',
  detectJson,
  createJsonConsumer,
};
