/**
 * A realistic Gemini Takeout "My Activity" export from a seeded random source, as JSON (newest first) and as the
 * HTML page (`My Activity.html`) holding the same rows: sessions of prompts a few minutes apart separated by hours,
 * some rows with an app link, regenerated drafts, German-localised rows, rows of other kinds (feedback, Created)
 * and another product. `later` is a newer Takeout holding the earlier rows plus new ones; `expected` is counted
 * while generating.
 */
import { pick, type ExpectedCounts } from './generate-common';

export interface GeneratedGemini {
  readonly earlier: { readonly json: unknown[]; readonly html: string };
  readonly later: { readonly json: unknown[]; readonly html: string };
  readonly expected: { readonly earlier: ExpectedCounts & { readonly skipped: number }; readonly later: ExpectedCounts & { readonly skipped: number }; readonly newNodes: number };
}

const PROMPTS = ['Suggest a name for my bakery', 'How do I fix a leaking tap?', 'Explain compound interest', 'Write a limerick about a cat', 'What is 15% of 80?'];
const GERMAN_PROMPTS = ['Wie lange kocht ein Ei?', 'Übersetze „Guten Morgen“ ins Spanische'];
const ANSWERS = ['<p>Try <b>Rise &amp; Shine</b> or <i>Crumb Club</i>.</p>', '<p>Turn off the water, then:</p><ol><li>Remove the handle</li><li>Replace the washer</li></ol>', '<p>Interest earns interest: <code>A = P(1 + r)^n</code>.</p>', '<p>A cat with a hat<br>sat flat on a mat</p>', '<p>15% of 80 is <b>12</b>.</p>'];

interface Row {
  readonly time: number;
  readonly kind: 'prompt' | 'feedback' | 'search';
  readonly german: boolean;
  readonly prompt: string;
  readonly drafts: readonly string[];
  readonly appId: string | null;
}

const MONTHS_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function englishDate(ms: number): string {
  const date = new Date(ms);
  const hours = date.getUTCHours();
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${MONTHS_EN[date.getUTCMonth()] ?? ''} ${date.getUTCDate()}, ${date.getUTCFullYear()}, ${hours % 12 === 0 ? 12 : hours % 12}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ${hours < 12 ? 'AM' : 'PM'} UTC`;
}

function germanDate(ms: number): string {
  // German exports write local time (here CET, +1 in winter) with the zone abbreviation MEZ.
  const date = new Date(ms + 3_600_000);
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${pad(date.getUTCDate())}.${pad(date.getUTCMonth() + 1)}.${date.getUTCFullYear()}, ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} MEZ`;
}

function jsonRow(row: Row): unknown {
  if (row.kind === 'search') return { header: 'Search', title: 'Searched for bakery names', time: new Date(row.time).toISOString(), products: ['Search'] };
  if (row.kind === 'feedback') return { header: 'Gemini Apps', title: 'Gave feedback: Good response', time: new Date(row.time).toISOString(), products: ['Gemini Apps'] };
  return {
    header: row.german ? 'Gemini-Apps' : 'Gemini Apps',
    title: `${row.german ? 'Eingegebener Prompt: ' : 'Prompted '}${row.prompt}`,
    ...(row.appId ? { titleUrl: `https://gemini.google.com/app/${row.appId}` } : {}),
    time: new Date(row.time).toISOString(),
    products: ['Gemini Apps'],
    activityControls: ['Gemini Apps Activity'],
    ...(row.drafts.length > 0 ? { safeHtmlItem: row.drafts.map((html) => ({ html })) } : {}),
  };
}

function htmlCard(row: Row): string {
  const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const header = row.kind === 'search' ? 'Search' : row.german ? 'Gemini-Apps' : 'Gemini Apps';
  const title =
    row.kind === 'search' ? 'Searched for bakery names' : row.kind === 'feedback' ? 'Gave feedback: Good response' : `${row.german ? 'Eingegebener Prompt:&nbsp;' : 'Prompted&nbsp;'}${escape(row.prompt)}`;
  const date = row.german ? germanDate(row.time) : englishDate(row.time);
  const link = row.appId ? `<a href="https://gemini.google.com/app/${row.appId}">Open</a>` : '';
  // The HTML page shows only the first draft.
  return (
    '<div class="outer-cell mdl-cell mdl-cell--12-col mdl-shadow--2dp"><div class="mdl-grid">' +
    `<div class="header-cell mdl-cell mdl-cell--12-col"><p class="mdl-typography--title">${header}<br></p></div>` +
    `<div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1">${title}<br>${date}<br>${row.drafts[0] ?? ''}</div>` +
    `<div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1 mdl-typography--text-right">${link}</div>` +
    `<div class="content-cell mdl-cell mdl-cell--12-col mdl-typography--caption"><b>Products:</b><br>&emsp;${row.kind === 'search' ? 'Search' : 'Gemini Apps'}<br><b>Why is this here?</b><br>&emsp;This activity was saved to your Google Account.</div>` +
    '</div></div>'
  );
}

function htmlPage(rows: readonly Row[]): string {
  return `<html><head><meta charset="UTF-8"><title>My Activity</title><style>.mdl-typography--title{font-size:20px}</style></head><body><div class="mdl-grid">${rows.map(htmlCard).join('')}</div></body></html>`;
}

export function generateGeminiExport(random: () => number, options: { sessions: number; promptsPerSession: number; newSessions: number }): GeneratedGemini {
  const rows: Row[] = [];
  let time = Date.UTC(2026, 0, 5, 9);
  for (let session = 0; session < options.sessions + options.newSessions; session++) {
    const german = session % 3 === 2;
    const appId = random() < 0.3 ? Math.floor(random() * 0xffffffffff).toString(16) : null;
    for (let index = 0; index < options.promptsPerSession; index++) {
      const draftCount = random() < 0.2 ? 2 : random() < 0.1 ? 0 : 1;
      rows.push({
        time,
        kind: 'prompt',
        german,
        prompt: `${german ? pick(random, GERMAN_PROMPTS) : pick(random, PROMPTS)} (${session}.${index})`,
        drafts: Array.from({ length: draftCount }, () => pick(random, ANSWERS)),
        appId,
      });
      if (random() < 0.2) rows.push({ time: time + 30_000, kind: 'feedback', german, prompt: '', drafts: [], appId: null });
      time += Math.floor(2 + random() * 10) * 60_000;
    }
    if (random() < 0.5) rows.push({ time: time + 60_000, kind: 'search', german: false, prompt: '', drafts: [], appId: null });
    time += Math.floor(3 + random() * 30) * 3_600_000;
  }
  const sessionRows = options.sessions * options.promptsPerSession;
  const firstNew = rows.filter((row) => row.kind === 'prompt')[sessionRows]?.time ?? Infinity;
  const earlierRows = rows.filter((row) => row.time < firstNew);
  const count = (list: readonly Row[], sessions: number): ExpectedCounts & { skipped: number } => {
    const prompts = list.filter((row) => row.kind === 'prompt');
    return { conversations: sessions, active: prompts.length, inactive: prompts.reduce((sum, row) => sum + Math.max(0, row.drafts.length - 1), 0), skipped: list.length - prompts.length };
  };
  const earlier = count(earlierRows, options.sessions);
  const later = count(rows, options.sessions + options.newSessions);
  const newestFirst = (list: readonly Row[]): Row[] => [...list].reverse();
  return {
    earlier: { json: newestFirst(earlierRows).map(jsonRow), html: htmlPage(newestFirst(earlierRows)) },
    later: { json: newestFirst(rows).map(jsonRow), html: htmlPage(newestFirst(rows)) },
    expected: { earlier, later, newNodes: later.active + later.inactive - earlier.active - earlier.inactive },
  };
}
