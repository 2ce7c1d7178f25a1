/**
 * Google Gemini from Takeout > My Activity as HTML (`My Activity.html`, localised as e.g. `MeineAktivitäten.html`).
 * Best effort, with plain string code (no DOM): each `outer-cell` card holds the product header, then a content
 * cell with `<prompt title><br><localised date with zone abbreviation><br><answer HTML>`. Dates are read in English,
 * German, French, Spanish, Italian, Portuguese and Dutch forms; zone abbreviations are ambiguous (IST, CST), so
 * the common reading is taken. Every file gets one 'html-best-effort' warning; rows are then grouped exactly like
 * the JSON variant (shared/import/providers/gemini.ts).
 */
import type { Attachment } from '../../model';
import type { ParseContext, ParsedConversation, ProviderAdapter } from '../provider';
import { appIdIn, groupPrompts, isGeminiProduct, promptOf } from './gemini';
import type { GeminiPrompt } from './gemini';
import { attachmentKind, cleanText, decodeEntities, htmlToText, isBlank, stripTags, titleFrom } from './common/text';

const MONTHS: Readonly<Record<string, number>> = (() => {
  const names: readonly (readonly string[])[] = [
    ['jan', 'january', 'januar', 'janvier', 'janv', 'enero', 'ene', 'gennaio', 'gen', 'janeiro', 'januari', 'jänner', 'janner'],
    ['feb', 'february', 'februar', 'fevrier', 'fevr', 'febrero', 'febbraio', 'fevereiro', 'fev', 'februari'],
    ['mar', 'march', 'marz', 'maerz', 'mars', 'marzo', 'marco', 'maart', 'mrt'],
    ['apr', 'april', 'avril', 'avr', 'abril', 'abr', 'aprile'],
    ['may', 'mai', 'mayo', 'maggio', 'mag', 'maio', 'mei'],
    ['jun', 'june', 'juni', 'juin', 'junio', 'giugno', 'giu', 'junho'],
    ['jul', 'july', 'juli', 'juillet', 'juil', 'julio', 'luglio', 'lug', 'julho'],
    ['aug', 'august', 'aout', 'agosto', 'ago', 'augustus'],
    ['sep', 'sept', 'september', 'septembre', 'septiembre', 'settembre', 'set', 'setembro'],
    ['oct', 'october', 'oktober', 'okt', 'octobre', 'octubre', 'ottobre', 'ott', 'outubro', 'out'],
    ['nov', 'november', 'novembre', 'noviembre', 'novembro'],
    ['dec', 'december', 'dezember', 'dez', 'decembre', 'diciembre', 'dic', 'dicembre', 'dezembro'],
  ];
  const map: Record<string, number> = {};
  names.forEach((list, index) => list.forEach((name) => (map[name] = index + 1)));
  return map;
})();

/** Offsets in minutes; for ambiguous abbreviations the reading Google most often means is taken. */
const ZONES: Readonly<Record<string, number>> = {
  UTC: 0, GMT: 0, Z: 0, WET: 0, WEZ: 0, WEST: 60, WESZ: 60, BST: 60, IST: 330, CET: 60, MEZ: 60, CEST: 120, MESZ: 120,
  EET: 120, OEZ: 120, EEST: 180, OESZ: 180, MSK: 180, EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360,
  PST: -480, PDT: -420, AKST: -540, AKDT: -480, HST: -600, JST: 540, KST: 540, SGT: 480, HKT: 480, AWST: 480,
  ACST: 570, ACDT: 630, AEST: 600, AEDT: 660, NZST: 720, NZDT: 780, BRT: -180, ART: -180,
};

function foldAccents(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}

/** Epoch ms of a My Activity date line, or undefined when it is not one. */
export function parseActivityDate(line: string): { ms: number; unknownZone: string | null } | undefined {
  const text = foldAccents(decodeEntities(line)).replace(/\s+/g, ' ').trim();
  const time = /(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(am|pm|a\.\s?m\.|p\.\s?m\.)?/i.exec(text);
  if (!time) return undefined;
  const datePart = text.slice(0, time.index);
  let year: number | undefined;
  let month: number | undefined;
  let day: number | undefined;
  const numeric = /(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})|(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})/.exec(datePart);
  if (numeric) {
    if (numeric[1]) [year, month, day] = [Number(numeric[1]), Number(numeric[2]), Number(numeric[3])];
    else {
      const [first, second] = [Number(numeric[4]), Number(numeric[5])];
      // Day first (as most locales write it) unless that cannot be a date.
      [day, month] = second > 12 ? [second, first] : [first, second];
      year = Number(numeric[6]);
    }
  } else {
    for (const word of datePart.toLowerCase().match(/\p{L}+/gu) ?? []) {
      const found = MONTHS[word];
      if (found !== undefined) {
        month = found;
        break;
      }
    }
    const numbers = (datePart.match(/\d+/g) ?? []).map(Number);
    year = numbers.find((value) => value > 31);
    day = numbers.find((value) => value >= 1 && value <= 31);
  }
  if (year === undefined || month === undefined || day === undefined) return undefined;
  let hours = Number(time[1]);
  const meridiem = time[4]?.toLowerCase().replace(/[\s.]/g, '');
  if (meridiem === 'pm' && hours < 12) hours += 12;
  if (meridiem === 'am' && hours === 12) hours = 0;
  const local = Date.UTC(year, month - 1, day, hours, Number(time[2]), Number(time[3] ?? 0));
  if (!Number.isFinite(local) || month > 12 || day > 31) return undefined;
  const zoneText = text.slice(time.index + time[0].length).trim();
  const offsetMatch = /^(?:UTC|GMT)\s?([+-])(\d{1,2})(?::?(\d{2}))?/i.exec(zoneText);
  if (offsetMatch) {
    const offset = (Number(offsetMatch[2]) * 60 + Number(offsetMatch[3] ?? 0)) * (offsetMatch[1] === '-' ? -1 : 1);
    return { ms: local - offset * 60_000, unknownZone: null };
  }
  const abbreviation = /^[A-Za-z]{1,5}\b/.exec(zoneText)?.[0].toUpperCase();
  if (abbreviation === undefined) return { ms: local, unknownZone: null };
  const offset = ZONES[abbreviation];
  return offset === undefined ? { ms: local, unknownZone: abbreviation } : { ms: local - offset * 60_000, unknownZone: null };
}

function textOf(html: string): string {
  return cleanText(decodeEntities(stripTags(html, ' ')).replace(/[ \t\u00a0\u2003]+/g, ' '));
}

/**
 * Where the element whose class attribute starts with `prefix` (and also holds `marker`, when given) opens: the
 * index after its tag's `>`, or -1. String search, no backtracking regex: each failed search ends the look, as
 * no later element could succeed where it failed.
 */
function cellStart(card: string, prefix: string, marker?: string): number {
  const opener = `class="${prefix}`;
  for (let at = card.indexOf(opener); at !== -1; at = card.indexOf(opener, at + 1)) {
    const quote = card.indexOf('"', at + opener.length);
    if (quote === -1) return -1;
    if (marker !== undefined && !card.slice(at + opener.length, quote).includes(marker)) continue;
    const close = card.indexOf('>', quote + 1);
    return close === -1 ? -1 : close + 1;
  }
  return -1;
}

/** The HTML inside such an element, up to the first `</div>` (undefined when there is none). */
function cellInner(card: string, prefix: string, marker?: string): string | undefined {
  const start = cellStart(card, prefix, marker);
  const end = start === -1 ? -1 : card.indexOf('</div>', start);
  return end === -1 ? undefined : card.slice(start, end);
}

/** The labels of `<a ...>label</a>` links, in order (linear: see cellStart). */
function linkLabels(html: string): string[] {
  const labels: string[] = [];
  const opener = /<a\b/gi;
  const closer = /<\/a>/gi;
  for (let match = opener.exec(html); match !== null; match = opener.exec(html)) {
    const tagEnd = html.indexOf('>', match.index);
    if (tagEnd === -1) break;
    closer.lastIndex = tagEnd + 1;
    const close = closer.exec(html);
    if (close === null) break;
    labels.push(html.slice(tagEnd + 1, close.index));
    opener.lastIndex = close.index + close[0].length;
  }
  return labels;
}

function detectText(head: string): number {
  if (!/outer-cell|mdl-typography/.test(head)) return 0;
  return /Gemini|Bard/i.test(head) ? 0.85 : 0.5;
}

function readCard(card: string, position: number, ctx: ParseContext): GeminiPrompt | undefined {
  const header = textOf(cellInner(card, 'header-cell') ?? '');
  const caption = cellInner(card, 'content-cell', 'mdl-typography--caption') ?? '';
  const products = caption.split(/<br\s*\/?>/i).map(textOf).filter((text) => text !== '');
  if (!isGeminiProduct(header, products)) {
    ctx.skip('unsupported-record', `activity of another product (${header || 'no header'})`);
    return undefined;
  }
  const bodyStart = cellStart(card, 'content-cell', 'mdl-typography--body-1');
  if (bodyStart === -1) {
    ctx.skip('malformed-record', `activity card ${position} has no content`);
    return undefined;
  }
  const rest = card.slice(bodyStart);
  const next = rest.search(/<div class="content-cell/);
  const body = next >= 0 ? rest.slice(0, next).replace(/<\/div>\s*$/, '') : rest;
  const segments = body.split(/<br\s*\/?>/i);
  const dateIndex = segments.findIndex((segment, index) => index > 0 && !/<(p|ul|ol|div|pre|h\d)\b/i.test(segment) && parseActivityDate(textOf(segment)) !== undefined);
  const prompt = promptOf(decodeEntities(stripTags(segments[0] ?? '', '')).replace(/\u00a0/g, ' ').trim());
  if (prompt === undefined) {
    ctx.skip('unsupported-record', `not a prompt: "${titleFrom(textOf(segments[0] ?? ''), 40)}"`);
    return undefined;
  }
  const date = dateIndex > 0 ? parseActivityDate(textOf(segments[dateIndex] ?? '')) : undefined;
  if (!date) {
    ctx.skip('bad-timestamp', 'a prompt card whose date could not be read');
    return undefined;
  }
  if (date.unknownZone !== null) ctx.warn('bad-timestamp', `unknown time zone ${date.unknownZone}, read as UTC`);
  const promptLines = [prompt];
  const attachments: Attachment[] = [];
  for (const segment of segments.slice(1, dateIndex)) {
    // Lines between the prompt and the date: attached file names (as links) or more lines of the prompt.
    const links = linkLabels(segment).map(textOf).filter((name) => name !== '');
    if (links.length > 0) links.forEach((name) => attachments.push({ name, kind: attachmentKind(name, null), mimeType: null, text: null }));
    else if (!isBlank(textOf(segment))) promptLines.push(textOf(segment));
  }
  const answer = htmlToText(segments.slice(dateIndex + 1).join('<br>'));
  return {
    time: date.ms,
    prompt: promptLines.join('\n'),
    answers: isBlank(answer) ? [] : [answer],
    appId: appIdIn([card]),
    attachments,
    raw: `<div class="outer-cell${card}`,
    position,
  };
}

function parseText(text: string, ctx: ParseContext): ParsedConversation[] {
  ctx.warn('html-best-effort', 'Gemini activity read from HTML: dates and layout are interpreted on a best-effort basis');
  const cards = text.split('<div class="outer-cell').slice(1);
  const rows = cards.map((card, position) => readCard(card, position, ctx)).filter((row) => row !== undefined);
  return groupPrompts(rows);
}

export const geminiHtmlAdapter: ProviderAdapter = {
  provider: 'gemini',
  detectText,
  parseText,
};
