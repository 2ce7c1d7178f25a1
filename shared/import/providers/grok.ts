/**
 * xAI Grok account export (`prod-grok-backend.json`): `{conversations: [{conversation, responses: [{response}]}],
 * projects, media_posts, tasks}`. The flat variant (sender/message directly on each `responses[]` entry) is read
 * too. The grok.com web-API capture (camelCase `conversationId`, `responseId`) is not an export and is not claimed.
 */
import { emptyExtras } from '../../model';
import type { Attachment } from '../../model';
import type { JsonRecord, ParseContext, ParsedConversation, ProviderAdapter, RecordConsumer } from '../provider';
import { asArray, asId, asObject, asString, isObject } from './common/json';
import type { JsonObject } from './common/json';
import { fingerprint } from './common/stable-id';
import { attachmentKind, cleanText, isBlank } from './common/text';
import { timeOrWarn } from './common/time';
import { chatConversation, isEmptyMessage, linearThreads, messageStep, newestLeaf, resolveThreads } from './common/thread';
import type { LeafPicker, MessageDraft, Role, TreeItem } from './common/thread';
import { appendAll } from '../../arrays';

type GrokMessage = MessageDraft & TreeItem;

const OTHER_SECTIONS = new Set(['projects', 'media_posts', 'tasks']);

function detectJson(first: JsonRecord, rootKind: 'array' | 'object'): number {
  if (rootKind !== 'object') return 0;
  const value = asObject(first.value);
  if (first.path === 'conversations' && value && isObject(value.conversation) && Array.isArray(value.responses)) return 0.95;
  // An export whose conversation list is empty starts with another section.
  if (first.path === 'projects' && value && 'workspace_id' in value) return 0.7;
  if (first.path === 'media_posts' && value && 'original_prompt' in value) return 0.7;
  return 0;
}

function senderRole(sender: unknown): Role | undefined {
  const normalised = typeof sender === 'string' ? sender.trim().toLowerCase() : '';
  if (normalised === 'human' || normalised === 'user') return 'human';
  if (normalised === 'assistant' || normalised === 'grok' || normalised === 'model') return 'assistant';
  return undefined;
}

function readAttachments(response: JsonObject): Attachment[] {
  const attachments: Attachment[] = [];
  for (const entry of asArray(response.file_attachments) ?? []) {
    // Older exports list asset ids (files live in the asset folders); newer ones objects with names.
    if (typeof entry === 'string' && entry !== '') {
      attachments.push({ name: entry, kind: 'file', mimeType: null, text: null });
      continue;
    }
    const object = asObject(entry);
    const name = asString(object?.file_name) ?? asString(object?.name) ?? asId(object?.id);
    if (!object || !name) continue;
    const mimeType = asString(object.mime_type) ?? asString(object.file_mime_type) ?? null;
    attachments.push({ name, kind: attachmentKind(name, mimeType), mimeType, text: typeof object.content === 'string' ? object.content : null });
  }
  return attachments;
}

function readCitations(response: JsonObject): string[] {
  const citations: string[] = [];
  for (const entry of asArray(response.cited_web_search_results) ?? []) {
    const object = asObject(entry);
    const url = asString(object?.url);
    if (url) citations.push(asString(object?.title) ? `${asString(object?.title)} ${url}` : url);
  }
  for (const url of asArray(response.webpage_urls) ?? []) if (typeof url === 'string' && url !== '') citations.push(url);
  return citations;
}

function readResponse(entry: unknown, index: number, conversationId: string, ctx: ParseContext): GrokMessage | undefined {
  const outer = asObject(entry);
  const response = asObject(outer?.response) ?? outer;
  if (!response) {
    ctx.warn('unreadable-part', `response ${index} of ${conversationId} is not an object`);
    return undefined;
  }
  const id = asId(response._id) ?? asId(response.id) ?? asId(response.response_id) ?? `${conversationId}#${index}`;
  const role = senderRole(response.sender);
  if (!role) {
    ctx.warn('unknown-role', `response ${id} has sender "${String(response.sender)}"`);
    return undefined;
  }
  const extras = emptyExtras();
  if (typeof response.thinking_trace === 'string' && !isBlank(response.thinking_trace)) extras.thinking.push(cleanText(response.thinking_trace));
  appendAll(extras.citations, readCitations(response));
  const message: GrokMessage = {
    id,
    role,
    text: cleanText(typeof response.message === 'string' ? response.message : ''),
    createdAt: timeOrWarn(response.create_time, ctx, `response ${id}`),
    model: asString(response.model) ?? null,
    extras,
    attachments: readAttachments(response),
    parentId: asId(response.parent_response_id) ?? null,
  };
  if (isEmptyMessage(message)) ctx.warn('empty-message', `response ${id} is empty`);
  return message;
}

/** An id-less conversation (flat variant) gets one from what does not change as it grows: its start and title. */
function synthesiseId(conversation: JsonObject, responses: readonly unknown[]): string | undefined {
  const created = conversation.create_time;
  const title = asString(conversation.title);
  const firstEntry = asObject(responses[0]);
  const first = asObject(firstEntry?.response) ?? firstEntry;
  const firstText = typeof first?.message === 'string' ? first.message : '';
  if (created === undefined && !title && firstText === '') return undefined;
  return `synth-${fingerprint(JSON.stringify([created ?? null, title ?? '', firstText]))}`;
}

function readConversation(record: JsonRecord, ctx: ParseContext): ParsedConversation | undefined {
  const value = asObject(record.value);
  const conversation = asObject(value?.conversation);
  const responses = asArray(value?.responses);
  if (!value || !conversation || !responses) {
    ctx.skip('malformed-record', `conversations[${record.index}] has no conversation and responses`);
    return undefined;
  }
  const providerConversationId = asId(conversation.id) ?? asId(conversation.conversation_id) ?? synthesiseId(conversation, responses);
  if (!providerConversationId) {
    ctx.skip('missing-id', `conversations[${record.index}] has no id, title or time`);
    return undefined;
  }
  if (responses.length === 0) {
    ctx.skip('no-messages', `conversation ${providerConversationId} has no responses`);
    return undefined;
  }
  const messages = responses.map((entry, index) => readResponse(entry, index, providerConversationId, ctx)).filter((message) => message !== undefined);
  const leafId = asId(conversation.leaf_response_id);
  const pickLeaf: LeafPicker<GrokMessage> = (leaves) => (leafId ? messages.find((message) => message.id === leafId) : undefined) ?? newestLeaf(leaves);
  // Exports without parent links (older ones, the flat variant) are one thread in time order.
  const threads = messages.some((message) => message.parentId !== null)
    ? resolveThreads(messages, pickLeaf, ctx, messageStep)
    : linearThreads([...messages].sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0)));
  return chatConversation(
    'grok',
    providerConversationId,
    threads,
    {
      title: asString(conversation.title),
      createdAt: timeOrWarn(conversation.create_time, ctx, `conversation ${providerConversationId}`),
      updatedAt: timeOrWarn(conversation.modify_time, ctx, `conversation ${providerConversationId}`),
      model: null,
      messageCount: responses.length,
      raw: record.raw,
    },
    ctx,
  );
}

function createJsonConsumer(ctx: ParseContext): RecordConsumer {
  return {
    push(record) {
      if (record.path === 'conversations') {
        const parsed = readConversation(record, ctx);
        return parsed ? [parsed] : [];
      }
      // Projects hold settings (personality, starters) and media posts image prompts: nothing to read as a chat.
      ctx.skip('unsupported-record', OTHER_SECTIONS.has(record.path) ? `${record.path} entry` : `unknown section "${record.path}"`);
      return [];
    },
    end() {
      return [];
    },
  };
}

export const grokAdapter: ProviderAdapter = {
  provider: 'grok',
  detectJson,
  createJsonConsumer,
};
