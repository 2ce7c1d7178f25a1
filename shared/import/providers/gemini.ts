/**
 * Google Gemini from Takeout > My Activity > Gemini Apps (JSON). One row per prompt, newest first, no conversation
 * ids on most rows. Conversations are rebuilt: rows carrying a gemini.google.com/app/<id> link group by that id;
 * the others group in time order, a new conversation starting after a gap of more than 30 minutes. Synthesised ids
 * come from the first prompt's time and text, so a later, cumulative export yields the same ids.
 *
 * Decisions: a row whose time cannot be read is skipped ('bad-timestamp': it cannot be placed in a conversation);
 * several answer items are drafts: the first is the answer shown, the others are kept as inactive nodes on the
 * same prompt (branchId `<time>#draft<n>`); rows of other kinds (Created, Used, Gave feedback, ...) and of other
 * products are skipped as 'unsupported-record'.
 */
import { conversationKey, emptyExtras } from '../../model';
import type { Attachment } from '../../model';
import type { JsonRecord, NodeDraft, ParseContext, ParsedConversation, ProviderAdapter, RecordConsumer } from '../provider';
import { asArray, asObject, asString } from './common/json';
import type { JsonObject } from './common/json';
import { fingerprint } from './common/stable-id';
import { attachmentKind, cleanText, htmlToText, isBlank, titleFrom } from './common/text';
import { isoOf, parseTime } from './common/time';

/** One prompt row, whatever the file format (JSON or HTML). */
export interface GeminiPrompt {
  readonly time: number;
  readonly prompt: string;
  /** Answer drafts as text; the first is the one shown. */
  readonly answers: readonly string[];
  readonly appId: string | null;
  readonly attachments: readonly Attachment[];
  /** The row as found in the file, kept in the conversation's raw record. */
  readonly raw: string;
  /** Position in the file (newest first), to order rows with equal times. */
  readonly position: number;
}

export const GAP_MS = 30 * 60 * 1000;

/**
 * Title prefixes of prompt rows. Verified by fixtures: English and German. The others are best effort (written
 * from the pattern of the verified ones, not yet seen in a real export); an unknown wording is skipped and counted.
 */
const PROMPT_PREFIXES: readonly RegExp[] = [
  /^Prompted[\s\u00a0]+/, // en (verified)
  /^Eingegebener Prompt:[\s\u00a0]*/, // de (verified)
  /^Prompt (?:envoyé|saisi)[\s\u00a0]*:[\s\u00a0]*/i, // fr (best effort)
  /^Petición enviada:[\s\u00a0]*/i, // es (best effort)
  /^Prompt (?:inviato|inserito):[\s\u00a0]*/i, // it (best effort)
  /^Comando (?:enviado|inserido):[\s\u00a0]*/i, // pt (best effort)
  /^Prompt (?:ingevoerd|gegeven):[\s\u00a0]*/i, // nl (best effort)
];

const GEMINI_PRODUCT = /gemini|bard/i;
const APP_URL = /gemini\.google\.com\/(?:u\/\d+\/)?app\/([A-Za-z0-9_-]+)/;

/** The prompt of a prompt row, or undefined for other row kinds. */
export function promptOf(title: string): string | undefined {
  for (const prefix of PROMPT_PREFIXES) {
    if (prefix.test(title)) return cleanText(title.replace(prefix, ''));
  }
  return undefined;
}

export function isGeminiProduct(header: string | undefined, products: readonly string[]): boolean {
  return (header !== undefined && GEMINI_PRODUCT.test(header)) || products.some((product) => GEMINI_PRODUCT.test(product));
}

export function appIdIn(texts: readonly string[]): string | null {
  for (const text of texts) {
    const match = APP_URL.exec(text);
    if (match?.[1]) return match[1];
  }
  return null;
}

function strings(value: unknown): string[] {
  return (asArray(value) ?? []).filter((entry): entry is string => typeof entry === 'string');
}

/** Every name/url string under `subtitles` and `details` (where an app link may sit). */
function linkTexts(row: JsonObject): string[] {
  const texts: string[] = [];
  for (const key of ['subtitles', 'details']) {
    for (const entry of asArray(row[key]) ?? []) {
      const object = asObject(entry);
      for (const field of ['url', 'name', 'value']) {
        const text = asString(object?.[field]);
        if (text) texts.push(text);
      }
    }
  }
  const titleUrl = asString(row.titleUrl);
  if (titleUrl) texts.push(titleUrl);
  return texts;
}

function readAttachments(row: JsonObject): Attachment[] {
  const names = [...strings(row.attachedFiles)];
  const image = asString(row.imageFile);
  if (image) names.push(image);
  return names.map((name) => ({ name, kind: attachmentKind(name, null), mimeType: null, text: null }));
}

function readRow(record: JsonRecord, ctx: ParseContext): GeminiPrompt | undefined {
  const row = asObject(record.value);
  if (!row) {
    ctx.skip('malformed-record', `row ${record.index} is not an object`);
    return undefined;
  }
  const header = asString(row.header);
  if (!isGeminiProduct(header, strings(row.products))) {
    ctx.skip('unsupported-record', `activity of another product (${header ?? 'no header'})`);
    return undefined;
  }
  const title = typeof row.title === 'string' ? row.title : '';
  const prompt = promptOf(title);
  if (prompt === undefined) {
    ctx.skip('unsupported-record', `not a prompt: "${titleFrom(title, 40)}"`);
    return undefined;
  }
  const time = parseTime(row.time);
  if (typeof time !== 'number') {
    ctx.skip('bad-timestamp', `prompt row with time ${JSON.stringify(row.time)}`);
    return undefined;
  }
  const answers = (asArray(row.safeHtmlItem) ?? [])
    .map((item) => asString(asObject(item)?.html))
    .filter((html) => html !== undefined)
    .map(htmlToText)
    .filter((text) => !isBlank(text));
  return { time, prompt, answers, appId: appIdIn(linkTexts(row)), attachments: readAttachments(row), raw: record.raw, position: record.index };
}

function promptNode(conversationId: string, row: GeminiPrompt, ordinal: number, answer: string | undefined, branchId: string | null): NodeDraft {
  return {
    kind: 'exchange',
    provider: 'gemini',
    conversationId,
    ordinal,
    active: branchId === null,
    branchId,
    human: { text: row.prompt, messageIds: [], createdAt: row.time, model: null },
    assistant: answer === undefined ? null : { text: answer, messageIds: [], createdAt: row.time, model: null },
    extras: emptyExtras(),
    attachments: [...row.attachments],
    createdAt: row.time,
  };
}

function conversationOf(providerConversationId: string, rows: readonly GeminiPrompt[]): ParsedConversation {
  const id = conversationKey('gemini', providerConversationId);
  const nodes: NodeDraft[] = [];
  rows.forEach((row, ordinal) => nodes.push(promptNode(id, row, ordinal, row.answers[0], null)));
  rows.forEach((row, ordinal) =>
    row.answers.slice(1).forEach((draft, index) => nodes.push(promptNode(id, row, ordinal, draft, `${isoOf(row.time)}#draft${index + 2}`))),
  );
  const first = rows[0];
  const last = rows[rows.length - 1];
  return {
    conversation: {
      id,
      provider: 'gemini',
      providerConversationId,
      kind: 'chat',
      title: titleFrom(rows.find((row) => row.prompt !== '')?.prompt ?? '') || 'Gemini conversation',
      createdAt: first?.time ?? null,
      updatedAt: last?.time ?? null,
      model: null,
      messageCount: rows.reduce((sum, row) => sum + 1 + row.answers.length, 0),
      raw: `[${rows.map((row) => row.raw).join(',')}]`,
    },
    nodes,
  };
}

/** Rebuilds conversations from prompt rows in any order (see the file comment for the rules). */
export function groupPrompts(rows: readonly GeminiPrompt[]): ParsedConversation[] {
  const ordered = [...rows].sort((a, b) => a.time - b.time || b.position - a.position);
  const groups = new Map<string, GeminiPrompt[]>();
  let gapGroup: GeminiPrompt[] | undefined;
  let lastGapTime = -Infinity;
  for (const row of ordered) {
    if (row.appId !== null) {
      const key = `app-${row.appId}`;
      const group = groups.get(key) ?? [];
      group.push(row);
      groups.set(key, group);
      continue;
    }
    if (gapGroup === undefined || row.time - lastGapTime > GAP_MS) {
      gapGroup = [];
      groups.set(`t${row.time}-${fingerprint(row.prompt).slice(0, 8)}`, gapGroup);
    }
    gapGroup.push(row);
    lastGapTime = row.time;
  }
  return [...groups.entries()].map(([key, group]) => conversationOf(key.startsWith('app-') ? key.slice(4) : key, group));
}

function detectJson(first: JsonRecord, rootKind: 'array' | 'object'): number {
  const row = asObject(first.value);
  if (rootKind !== 'array' || !row || typeof row.title !== 'string' || !('time' in row)) return 0;
  return isGeminiProduct(asString(row.header), strings(row.products)) ? 0.9 : 0;
}

function createJsonConsumer(ctx: ParseContext): RecordConsumer {
  // Rows of one conversation are spread over the file (newest first): gather them all, group at the end.
  const rows: GeminiPrompt[] = [];
  return {
    push(record) {
      const row = readRow(record, ctx);
      if (row) rows.push(row);
      return [];
    },
    end() {
      return groupPrompts(rows);
    },
  };
}

export const geminiAdapter: ProviderAdapter = {
  provider: 'gemini',
  detectJson,
  createJsonConsumer,
};
