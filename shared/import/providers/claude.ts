/**
 * Anthropic Claude export: conversations.json (conversations with `chat_messages`), projects.json (knowledge docs
 * become `document` nodes of a `project` conversation), memories.json (one `memories` conversation). users.json is
 * not claimed. Every file is recognised by its content, never by its name, so split zips work.
 */
import { conversationKey, emptyExtras } from '../../model';
import type { Attachment, NodeExtras, ToolCall } from '../../model';
import type { ConversationDraft, JsonRecord, NodeDraft, ParseContext, ParsedConversation, ProviderAdapter, RecordConsumer } from '../provider';
import { asArray, asObject, asString, isObject } from './common/json';
import type { JsonObject } from './common/json';
import { attachmentKind, cleanText, isBlank } from './common/text';
import { timeOrWarn } from './common/time';
import { chatConversation, isEmptyMessage, linearThreads, messageStep, newestLeaf, resolveThreads } from './common/thread';
import type { MessageDraft, TreeItem } from './common/thread';

const ROOT_SENTINEL = '00000000-0000-4000-8000-000000000000';

type ClaudeMessage = MessageDraft & TreeItem;

function isUsersRecord(value: JsonObject): boolean {
  return 'email_address' in value || 'full_name' in value || 'verified_phone_number' in value;
}

function isMemoriesRecord(value: JsonObject): boolean {
  return 'conversations_memory' in value || 'project_memories' in value;
}

function isProjectRecord(value: JsonObject): boolean {
  return Array.isArray(value.docs) || 'prompt_template' in value;
}

function detectJson(first: JsonRecord, rootKind: 'array' | 'object'): number {
  if (rootKind === 'object') {
    // Split exports hold single objects: a memories file, a project (`projects/<uuid>.json`), a conversation.
    if (first.path === 'conversations_memory' || first.path === 'project_memories') return 0.9;
    const element = first.inArray === true ? asObject(first.value) : undefined;
    if (first.path === 'chat_messages' && element && 'sender' in element) return 0.9;
    if (first.path === 'docs' && element && ('filename' in element || 'content' in element)) return 0.8;
    return 0;
  }
  const value = asObject(first.value);
  if (!value || 'mapping' in value) return 0;
  if (Array.isArray(value.chat_messages)) return 0.95;
  if (isMemoriesRecord(value)) return 0.9;
  if (typeof value.uuid === 'string' && isProjectRecord(value)) return 0.9;
  if (isUsersRecord(value)) return 0;
  // A conversation record without messages still has Claude's key set.
  if (typeof value.uuid === 'string' && 'name' in value && 'created_at' in value) return 0.6;
  return 0;
}

/** Text of a tool_result's `content`: a string, or blocks with text. */
function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  const blocks = asArray(content);
  if (!blocks) return content === undefined || content === null ? '' : JSON.stringify(content);
  return blocks
    .map((block) => {
      const object = asObject(block);
      if (!object) return typeof block === 'string' ? block : '';
      return typeof object.text === 'string' ? object.text : '';
    })
    .filter((text) => text !== '')
    .join('\n');
}

function inputText(input: unknown): string {
  if (input === undefined || input === null) return '';
  return typeof input === 'string' ? input : JSON.stringify(input);
}

interface ContentParts {
  text: string;
  extras: NodeExtras;
}

/** Content blocks into visible text and hidden parts; tool results are folded into their tool call's output. */
function readContent(blocks: readonly unknown[], ctx: ParseContext): ContentParts {
  const texts: string[] = [];
  const extras = emptyExtras();
  const callIds = new Map<string, ToolCall>();
  const calls: { call: ToolCall; id: string | undefined }[] = [];
  for (const block of blocks) {
    const object = asObject(block);
    if (!object) {
      ctx.warn('unreadable-part', 'a content block is not an object');
      continue;
    }
    const type = typeof object.type === 'string' ? object.type : '';
    switch (type) {
      case 'text':
        if (typeof object.text === 'string') texts.push(object.text);
        for (const citation of asArray(object.citations) ?? []) {
          const cited = asObject(citation);
          const url = asString(cited?.url);
          if (url) extras.citations.push(asString(cited?.title) ? `${asString(cited?.title)} ${url}` : url);
        }
        break;
      case 'thinking':
        if (typeof object.thinking === 'string' && !isBlank(object.thinking)) extras.thinking.push(cleanText(object.thinking));
        break;
      case 'tool_use': {
        const call: ToolCall = { name: asString(object.name) ?? 'tool', input: inputText(object.input), output: null };
        const id = asString(object.id);
        extras.toolCalls.push(call);
        calls.push({ call, id });
        if (id) callIds.set(id, call);
        break;
      }
      case 'tool_result': {
        const output = toolResultText(object.content);
        const byId = asString(object.tool_use_id);
        const name = asString(object.name);
        // Match by id, else the latest call of that name still waiting, else the latest call waiting.
        const match =
          (byId ? callIds.get(byId) : undefined) ??
          [...calls].reverse().find((entry) => entry.call.output === null && (name === undefined || entry.call.name === name))?.call ??
          [...calls].reverse().find((entry) => entry.call.output === null)?.call;
        if (match) {
          const index = extras.toolCalls.indexOf(match);
          const folded = { ...match, output: match.output === null ? output : `${match.output}\n${output}` };
          extras.toolCalls[index] = folded;
          for (const entry of calls) if (entry.call === match) entry.call = folded;
          if (byId) callIds.set(byId, folded);
        } else {
          extras.toolCalls.push({ name: name ?? 'tool_result', input: '', output });
        }
        break;
      }
      case 'voice_note':
        // A voice note's transcript is what the person said: visible text.
        if (typeof object.text === 'string') texts.push(object.text);
        break;
      case 'token_budget':
        break;
      case 'injected_prompt_block': {
        const injected = asString(object.text) ?? asString(object.content);
        if (injected) extras.system.push(cleanText(injected));
        break;
      }
      default:
        ctx.warn('unknown-block-type', `content block type "${type}"`);
        if (typeof object.text === 'string') texts.push(object.text);
    }
  }
  return { text: cleanText(texts.filter((text) => !isBlank(text)).join('\n\n')), extras };
}

function readAttachments(message: JsonObject): Attachment[] {
  const attachments: Attachment[] = [];
  for (const entry of asArray(message.attachments) ?? []) {
    const object = asObject(entry);
    if (!object) continue;
    const name = asString(object.file_name) ?? 'attachment';
    const mimeType = asString(object.file_type) ?? null;
    const text = typeof object.extracted_content === 'string' ? object.extracted_content : null;
    attachments.push({ name, kind: attachmentKind(name, mimeType), mimeType, text });
  }
  for (const entry of asArray(message.files) ?? []) {
    const object = asObject(entry);
    const name = asString(object?.file_name) ?? asString(object?.name);
    if (name) attachments.push({ name, kind: attachmentKind(name, null), mimeType: null, text: null });
  }
  return attachments;
}

function readMessage(raw: unknown, index: number, conversationUuid: string, ctx: ParseContext): (ClaudeMessage & { hasParent: boolean }) | undefined {
  const message = asObject(raw);
  if (!message) {
    ctx.warn('unreadable-part', `message ${index} of ${conversationUuid} is not an object`);
    return undefined;
  }
  const id = asString(message.uuid) ?? `${conversationUuid}#${index}`;
  const sender = typeof message.sender === 'string' ? message.sender.toLowerCase() : '';
  if (sender !== 'human' && sender !== 'assistant') {
    ctx.warn('unknown-role', `message ${id} has sender "${String(message.sender)}"`);
    return undefined;
  }
  const blocks = asArray(message.content);
  const plainText = cleanText(typeof message.text === 'string' ? message.text : '');
  const parts: ContentParts = blocks && blocks.length > 0 ? readContent(blocks, ctx) : { text: plainText, extras: emptyExtras() };
  // Blocks with no text of their own (images, future types) must not hide the message's plain `text`.
  if (parts.text === '' && parts.extras.toolCalls.length === 0) parts.text = plainText;
  const parent = asString(message.parent_message_uuid);
  const draft = {
    id,
    role: sender,
    text: parts.text,
    createdAt: timeOrWarn(message.created_at, ctx, `message ${id}`),
    model: null,
    extras: parts.extras,
    attachments: readAttachments(message),
    parentId: parent === undefined || parent === ROOT_SENTINEL ? null : parent,
    hasParent: parent !== undefined,
  } satisfies ClaudeMessage & { hasParent: boolean };
  if (isEmptyMessage(draft)) ctx.warn('empty-message', `message ${id} is empty`);
  return draft;
}

function readConversation(record: JsonRecord, value: JsonObject, ctx: ParseContext): ParsedConversation | undefined {
  const uuid = asString(value.uuid);
  if (!uuid) {
    ctx.skip('missing-id', 'a conversation has no uuid');
    return undefined;
  }
  const rawMessages = asArray(value.chat_messages);
  if (!rawMessages) {
    ctx.skip('malformed-record', `conversation ${uuid}: chat_messages is not a list`);
    return undefined;
  }
  if (rawMessages.length === 0) {
    ctx.skip('no-messages', `conversation ${uuid} has no messages`);
    return undefined;
  }
  const messages = rawMessages.map((raw, index) => readMessage(raw, index, uuid, ctx)).filter((message) => message !== undefined);
  // Old exports have no parent links: the export order is the thread.
  const threads = messages.length > 0 && messages.every((message) => message.hasParent) ? resolveThreads(messages, newestLeaf, ctx, messageStep) : linearThreads(messages);
  return chatConversation(
    'claude',
    uuid,
    threads,
    {
      title: asString(value.name),
      createdAt: timeOrWarn(value.created_at, ctx, `conversation ${uuid}`),
      updatedAt: timeOrWarn(value.updated_at, ctx, `conversation ${uuid}`),
      model: asString(value.model) ?? null,
      messageCount: rawMessages.length,
      raw: record.raw,
    },
    ctx,
  );
}

function documentNode(conversationId: string, ordinal: number, title: string, text: string, id: string | null, createdAt: number | null, kind: 'document' | 'memory'): NodeDraft {
  return {
    kind,
    provider: 'claude',
    conversationId,
    ordinal,
    active: true,
    branchId: null,
    human: { text: title, messageIds: id ? [id] : [], createdAt, model: null },
    assistant: { text, messageIds: id ? [id] : [], createdAt, model: null },
    extras: emptyExtras(),
    attachments: [],
    createdAt,
  };
}

function readProject(record: JsonRecord, value: JsonObject, ctx: ParseContext): ParsedConversation | undefined {
  const uuid = asString(value.uuid);
  if (!uuid) {
    ctx.skip('missing-id', 'a project has no uuid');
    return undefined;
  }
  const providerConversationId = `project-${uuid}`;
  const id = conversationKey('claude', providerConversationId);
  const nodes: NodeDraft[] = [];
  const instructions = typeof value.prompt_template === 'string' ? cleanText(value.prompt_template) : '';
  if (instructions !== '') nodes.push(documentNode(id, nodes.length, 'Project instructions', instructions, null, null, 'document'));
  for (const entry of asArray(value.docs) ?? []) {
    const doc = asObject(entry);
    const content = typeof doc?.content === 'string' ? cleanText(doc.content) : '';
    if (!doc || content === '') {
      ctx.warn('empty-message', `a knowledge document of project ${uuid} has no text`);
      continue;
    }
    const title = asString(doc.filename) ?? asString(doc.title) ?? 'Untitled document';
    nodes.push(documentNode(id, nodes.length, title, content, asString(doc.uuid) ?? null, timeOrWarn(doc.created_at, ctx, `document of ${uuid}`), 'document'));
  }
  if (nodes.length === 0) {
    ctx.skip('empty-conversation', `project ${uuid} has no instructions or documents`);
    return undefined;
  }
  const conversation: ConversationDraft = {
    id,
    provider: 'claude',
    providerConversationId,
    kind: 'project',
    title: asString(value.name)?.trim() || 'Untitled project',
    createdAt: timeOrWarn(value.created_at, ctx, `project ${uuid}`),
    updatedAt: timeOrWarn(value.updated_at, ctx, `project ${uuid}`),
    model: null,
    messageCount: nodes.length,
    raw: record.raw,
  };
  return { conversation, nodes };
}

/** Memories records (one per account) are gathered into one conversation, emitted at the end of the file. */
class MemoryCollector {
  private readonly entries: { title: string; text: string }[] = [];
  private readonly raws: string[] = [];

  add(record: JsonRecord, value: JsonObject): void {
    this.raws.push(record.raw);
    this.addGlobal(value.conversations_memory);
    this.addProjects(value.project_memories);
  }

  private addGlobal(value: unknown): void {
    if (typeof value === 'string' && !isBlank(value)) this.entries.push({ title: 'Memory', text: cleanText(value) });
  }

  private addProjects(value: unknown): void {
    const projects = asObject(value);
    if (!projects) return;
    for (const [projectId, text] of Object.entries(projects)) {
      if (typeof text === 'string' && !isBlank(text)) this.entries.push({ title: `Project memory ${projectId}`, text: cleanText(text) });
    }
  }

  flush(ctx: ParseContext): ParsedConversation[] {
    if (this.raws.length === 0) return [];
    if (this.entries.length === 0) {
      ctx.skip('empty-conversation', 'the memories file holds no memory text');
      return [];
    }
    const id = conversationKey('claude', 'memories');
    const nodes = this.entries.map((entry, ordinal) => documentNode(id, ordinal, entry.title, entry.text, null, null, 'memory'));
    return [
      {
        conversation: {
          id,
          provider: 'claude',
          providerConversationId: 'memories',
          kind: 'memories',
          title: 'Claude memories',
          createdAt: null,
          updatedAt: null,
          model: null,
          messageCount: nodes.length,
          raw: `[${this.raws.join(',')}]`,
        },
        nodes,
      },
    ];
  }
}

function createJsonConsumer(ctx: ParseContext): RecordConsumer {
  const memories = new MemoryCollector();
  // An object-root file (one conversation, project or memories object of a split export) arrives as one record
  // per property: it is put back together and read at the end. Such files are small.
  const rootObject: Record<string, unknown> = {};
  let objectRoot = false;
  const read = (record: JsonRecord): ParsedConversation[] => {
    const value = record.value;
    if (!isObject(value)) {
      ctx.skip('malformed-record', `record ${record.index} is not an object`);
      return [];
    }
    if ('chat_messages' in value) return optional(readConversation(record, value, ctx));
    if (isMemoriesRecord(value)) {
      memories.add(record, value);
      return [];
    }
    if (isProjectRecord(value)) return optional(readProject(record, value, ctx));
    if (isUsersRecord(value)) {
      ctx.skip('unsupported-record', 'account record');
      return [];
    }
    if (typeof value.uuid === 'string') {
      ctx.skip('no-messages', `conversation ${value.uuid} has no chat_messages`);
      return [];
    }
    ctx.skip('malformed-record', `record ${record.index} is not a Claude conversation, project or memory`);
    return [];
  };
  return {
    push(record) {
      if (record.path === '') return read(record);
      objectRoot = true;
      const list = rootObject[record.path];
      if (record.inArray !== true) rootObject[record.path] = record.value;
      else if (Array.isArray(list)) list.push(record.value);
      else rootObject[record.path] = [record.value];
      return [];
    },
    end() {
      const fromObject = objectRoot ? read({ path: '', index: 0, value: rootObject, raw: JSON.stringify(rootObject), inArray: false }) : [];
      return [...fromObject, ...memories.flush(ctx)];
    },
  };
}

function optional(parsed: ParsedConversation | undefined): ParsedConversation[] {
  return parsed ? [parsed] : [];
}

export const claudeAdapter: ProviderAdapter = {
  provider: 'claude',
  detectJson,
  createJsonConsumer,
};
