/**
 * The hostile exports of issue 9 (items 9-12), built at any size so tests can replay each attack and compare its
 * cost at two sizes: ReDoS HTML in Gemini activity (JSON and HTML page), "comb" message trees for Claude and
 * ChatGPT, a zip bomb whose local header lies about its compressed size, and Copilot CSVs with an unclosed quote
 * or a huge field.
 */
import { zipSync } from 'fflate';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The ReDoS answer: `<a href=''>` repeated (no closing `</a>`), which made the old converter backtrack for minutes. */
export function redosHtml(repeats: number): string {
  return "<a href=''>".repeat(repeats);
}

/** One Gemini My Activity row (MyActivity.json) whose answer is `answerHtml`. */
export function geminiActivityJson(answerHtml: string): Uint8Array {
  const row = { header: 'Gemini Apps', title: 'Prompted hi', time: '2026-03-10T18:00:00.000Z', products: ['Gemini Apps'], safeHtmlItem: [{ html: answerHtml }] };
  return encode(JSON.stringify([row]));
}

/** The same row as a My Activity.html page. */
export function geminiActivityHtml(answerHtml: string): Uint8Array {
  const card =
    '<div class="outer-cell mdl-cell mdl-cell--12-col mdl-shadow--2dp"><div class="mdl-grid">' +
    '<div class="header-cell mdl-cell mdl-cell--12-col"><p class="mdl-typography--title">Gemini Apps<br></p></div>' +
    `<div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1">Prompted&nbsp;hi<br>Mar 10, 2026, 6:00:00 PM UTC<br>${answerHtml}</div>` +
    '<div class="content-cell mdl-cell mdl-cell--12-col mdl-typography--caption"><b>Products:</b><br>&emsp;Gemini Apps<br></div></div></div>';
  return encode(`<html><head><meta charset="UTF-8"><title>My Activity</title></head><body><div class="mdl-grid">${card}</div></body></html>`);
}

/**
 * A comb of `messages` messages: a chain of alternating prompts and answers where every chain message also has one
 * leaf child of the other role (a regenerated answer or an edited prompt). Node counts are worked out below.
 */
export interface Comb {
  readonly bytes: Uint8Array;
  readonly activeNodes: number;
  readonly inactiveNodes: number;
}

export function claudeComb(messages: number, words = 12): Comb {
  const chain = Math.floor(messages / 2);
  const list: unknown[] = [];
  let parent = '00000000-0000-4000-8000-000000000000';
  const at = (i: number): string => new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  for (let i = 0; i < chain; i += 1) {
    const sender = i % 2 === 0 ? 'human' : 'assistant';
    list.push({ uuid: `c${i}`, parent_message_uuid: parent, sender, text: `chain ${i} `.repeat(words), content: [{ type: 'text', text: `chain ${i} `.repeat(words) }], created_at: at(2 * i + 1) });
    // Leaves are older than the chain's last message, so the chain's end is the newest leaf (the active thread).
    list.push({ uuid: `l${i}`, parent_message_uuid: `c${i}`, sender: sender === 'human' ? 'assistant' : 'human', text: `leaf ${i} `.repeat(words), content: [{ type: 'text', text: `leaf ${i} `.repeat(words) }], created_at: at(2 * i) });
    parent = `c${i}`;
  }
  const conversation = { uuid: 'comb-claude', name: 'Comb', created_at: at(0), updated_at: at(2 * chain), chat_messages: list };
  return { bytes: encode(JSON.stringify([conversation])), ...combCounts(chain) };
}

export function chatgptComb(messages: number, words = 12): Comb {
  const chain = Math.floor(messages / 2);
  const mapping: Record<string, { id: string; parent: string | null; children: string[]; message: unknown }> = {};
  const message = (id: string, role: string, text: string, time: number): unknown => ({ id, author: { role }, content: { content_type: 'text', parts: [text] }, create_time: time, recipient: 'all', metadata: {} });
  let parent: string | null = null;
  for (let i = 0; i < chain; i += 1) {
    const role = i % 2 === 0 ? 'user' : 'assistant';
    mapping[`c${i}`] = { id: `c${i}`, parent, children: [`l${i}`], message: message(`c${i}`, role, `chain ${i} `.repeat(words), 1_767_225_600 + 2 * i + 1) };
    mapping[`l${i}`] = { id: `l${i}`, parent: `c${i}`, children: [], message: message(`l${i}`, role === 'user' ? 'assistant' : 'user', `leaf ${i} `.repeat(words), 1_767_225_600 + 2 * i) };
    if (parent !== null) mapping[parent]?.children.push(`c${i}`);
    parent = `c${i}`;
  }
  const conversation = { id: 'comb-chatgpt', title: 'Comb', create_time: 1_767_225_600, update_time: 1_767_225_600 + 2 * chain, mapping, current_node: `l${chain - 1}` };
  return { bytes: encode(JSON.stringify([conversation])), ...combCounts(chain) };
}

/**
 * Chain message i (0-based) is a prompt when i is even. Its leaf is the other role: a prompt's leaf is a
 * regenerated answer (one branch node: that prompt with it), an answer's leaf is an edited next prompt (one
 * branch node: that prompt alone), except the chain's own last message whose leaf then continues the active thread.
 */
function combCounts(chain: number): { activeNodes: number; inactiveNodes: number } {
  const prompts = Math.ceil(chain / 2);
  // The newest leaf (the active one) hangs off the last chain message; it adds an exchange when it is a prompt.
  const lastIsAnswer = chain % 2 === 0;
  return { activeNodes: prompts + (lastIsAnswer ? 1 : 0), inactiveNodes: chain - 1 };
}

/**
 * A zip bomb: `payloadBytes` of spaces in a JSON array, deflated, with the local header's compressed size patched
 * to 0x7fffffff (the central directory keeps the truth; a streaming reader sees only the lie).
 */
export function lyingZipBomb(payloadBytes: number): Uint8Array {
  const payload = new Uint8Array(payloadBytes).fill(0x20);
  payload[0] = 0x5b;
  payload[payload.length - 1] = 0x5d;
  const zip = zipSync({ 'conversations.json': payload }, { level: 9 });
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  if (view.getUint32(0, true) !== 0x04034b50) throw new Error('not a local header');
  view.setUint32(18, 0x7fffffff, true);
  return zip;
}

const COPILOT_HEADER = 'Conversation,Time,Author,Message\n';

/** A Copilot CSV whose second row opens a quote that is never closed; `rowsAfter` good rows follow it. */
export function copilotUnclosedQuote(rowsAfter: number): Uint8Array {
  const rows = [`Chat,2026-01-01T10:00:00,user,"hello, this quote never ends`];
  for (let i = 0; i < rowsAfter; i += 1) rows.push(`Chat,2026-01-01T10:${String(i % 60).padStart(2, '0')}:01,${i % 2 === 0 ? 'AI' : 'user'},row ${i}`);
  return encode(`${COPILOT_HEADER}${rows.join('\n')}\n`);
}

/** A Copilot CSV with one message field of `fieldChars` characters (quoted or not). */
export function copilotHugeField(fieldChars: number, quoted: boolean): Uint8Array {
  const field = 'x'.repeat(fieldChars);
  return encode(`${COPILOT_HEADER}Chat,2026-01-01T10:00:00,user,hello\nChat,2026-01-01T10:00:01,AI,${quoted ? `"${field}"` : field}\n`);
}
